// The page's one door to the API: every request goes through here, so every failure reaches
// the page in one shape, whether the server is down or refused the question.

export class ApiError extends Error {
  constructor(message, { status = 0, problems = [] } = {}) {
    super(message);
    this.status = status; // 0 when no answer came at all
    this.problems = problems; // a problem document's "errors": [{loc, msg}]
  }
}

/** "/v1/events" and {type: ["a", "b"], q: ""} -> "/v1/events?type=a&type=b": empty values dropped. */
export function apiUrl(path, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const one of [value].flat()) {
      if (one !== undefined && one !== null && one !== "") query.append(name, one);
    }
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** GET a JSON document; throws ApiError, or the AbortError of a request that was superseded. */
export async function getJSON(path, params = {}, signal = undefined) {
  let response;
  try {
    response = await fetch(apiUrl(path, params), { signal, headers: { Accept: "application/json" } });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError("No answer came: the API may be down, or this device may be offline.");
  }
  if (!response.ok) {
    // Dyad answers RFC 9457 problem documents; a proxy in between may not.
    const problem = await response.json().catch(() => ({}));
    const message = problem.detail || problem.title || `The API answered ${response.status}.`;
    const problems = Array.isArray(problem.errors) ? problem.errors : [];
    throw new ApiError(message, { status: response.status, problems });
  }
  return response.json();
}
