-- wrk script: cycles through the request paths of a file (one a line) when one is given
-- after `--`, so that "one event by id" asks for many ids; at the end prints one JSON line
-- with requests, latency percentiles and errors (wrk's own summary has no p50/p99 as numbers).

local paths = {}
local counter = 0

function init(args)
  if args[1] then
    for line in io.lines(args[1]) do
      if #line > 0 then paths[#paths + 1] = line end
    end
  end
end

function request()
  if #paths == 0 then
    return wrk.format(nil)
  end
  counter = counter + 1
  return wrk.format(nil, paths[(counter % #paths) + 1])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
