// The timeline page. Its whole state lives in the URL (every choice is a query parameter), so a
// view can be shared and bookmarked and back/forward replay it. Every change runs the same way:
// URL -> state -> controls -> API requests -> chart and list.
import { apiUrl, getJSON } from "./api.js";
import { createChart } from "./chart.js";
import { renderEvent } from "./events.js";
import { bounds, daysBetween, el, formatDate, plural } from "./format.js";

const PAGE_SIZE = 50;
const MAX_PERIODS = 400; // beyond this a bar is thinner than a pixel: use a coarser bucket
const $ = (id) => document.getElementById(id);

const countries = new Map(); // code -> {code, name, count}, from GET /v1/countries
const types = new Map(); // type -> {type, description, orientation, count}, from GET /v1/event-types
const titles = new Map(); // id -> title of the events on the page, to link between them
let timelineCache = { key: null, timeline: null }; // choosing a period must not refetch the chart
let generation = 0; // only the newest load may touch the page
let controller = null;
let more = null; // how to fetch the next page of the list
const chart = createChart($("chart"), (period) => navigate({ ...readState(), period: period ?? "" }));

// --- state <-> URL ----------------------------------------------------------------------------

function readState() {
  const params = new URLSearchParams(location.search);
  let [a, b] = ["", ""];
  if (params.get("dyad")) [a, b = ""] = params.get("dyad").toUpperCase().split("-");
  else a = (params.get("country") ?? "").toUpperCase();
  const text = (name) => (params.get(name) ?? "").trim();
  return { a, b, from: text("from"), to: text("to"), q: text("q"), types: params.getAll("type"), period: text("period") };
}

/** The API's filters for a state: what the chart, the list and the exports share. */
function filtersOf(state) {
  // Countries first: they read best at the front of a shared address.
  return {
    dyad: state.a && state.b ? `${state.a}-${state.b}` : "",
    country: state.a && state.b ? "" : state.a || state.b,
    from: state.from, to: state.to, q: state.q, type: state.types,
  };
}

function searchOf(state) {
  return apiUrl("", { ...filtersOf(state), period: state.period });
}

function navigate(state) {
  const search = searchOf(state);
  if (search === location.search) return;
  history.pushState(null, "", location.pathname + search);
  load();
}

function readControls() {
  const checked = [...$("types").querySelectorAll("input:checked")].map((box) => box.value);
  const a = $("country-a").value;
  const b = $("country-b").value;
  const next = {
    a, b: a && b !== a ? b : "", // a pair is two different countries
    from: $("from").value.trim(), to: $("to").value.trim(), q: $("q").value.trim(),
    types: checked, period: "",
  };
  // A period belongs to one chart: it stays only while the filters stay.
  const current = readState();
  if (searchOf(next) === searchOf({ ...current, period: "" })) next.period = current.period;
  return next;
}

// --- controls ---------------------------------------------------------------------------------

function countryOption(code, selected) {
  const country = countries.get(code);
  const label = country ? `${country.name} (${country.count})` : code;
  return el("option", { value: code, selected: code === selected }, label);
}

function syncControls(state) {
  const codes = [...countries.keys()];
  for (const code of [state.a, state.b]) if (code && !countries.has(code)) codes.push(code);
  $("country-a").replaceChildren(el("option", { value: "" }, "All countries"),
    ...codes.map((code) => countryOption(code, state.a)));
  $("country-b").replaceChildren(el("option", { value: "" }, "Any other country"),
    ...codes.filter((code) => code !== state.a).map((code) => countryOption(code, state.b)));
  $("country-b").disabled = !state.a;
  $("from").value = state.from;
  $("to").value = state.to;
  $("q").value = state.q;
  for (const input of $("filters").querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  for (const box of $("types").querySelectorAll("input")) box.checked = state.types.includes(box.value);
  $("types-summary").textContent = state.types.length ? state.types.join(", ") : "all";
}

function renderTypeChoices() {
  const group = (orientation, legend) => el("fieldset", { class: "type-group" },
    el("legend", {}, legend),
    [...types.values()].filter((type) => type.orientation === orientation).map((type) =>
      el("label", { class: `type-choice${type.count ? "" : " is-unused"}`, title: type.description },
        el("input", { type: "checkbox", name: "type", value: type.type }),
        ` ${type.type} `, el("span", { class: "count" }, `(${type.count})`))));
  $("types").replaceChildren(group("cooperative", "Cooperative"), group("conflictual", "Conflictual"));
}

function describeView(state) {
  const name = (code) => countries.get(code)?.name ?? code;
  const who = state.a && state.b ? `${name(state.a)} and ${name(state.b)}`
    : state.a || state.b ? name(state.a || state.b) : "All countries";
  let when = "";
  if (state.from && state.to) {
    when = state.from === state.to ? formatDate(state.from) : `${formatDate(state.from)} – ${formatDate(state.to)}`;
  } else if (state.from) when = `from ${formatDate(state.from)}`;
  else if (state.to) when = `until ${formatDate(state.to)}`;
  const detail = [when, state.types.length && `types: ${state.types.join(", ")}`, state.q && `matching “${state.q}”`];
  $("view-title").textContent = who;
  $("view-detail").textContent = detail.filter(Boolean).join(" · ") || "Every date, every type";
  document.title = `${who}${when ? `, ${when}` : ""} · Dyad`;
}

// --- loading ----------------------------------------------------------------------------------

/** The timeline with the bucket fitted to the range: years first, finer when the span is short. */
async function fetchTimeline(filters, signal) {
  const key = apiUrl("", filters);
  if (timelineCache.key === key) return timelineCache.timeline;
  const years = await getJSON("/v1/timeline", { ...filters, bucket: "year" }, signal);
  let timeline = years;
  if (years.buckets.length) {
    // The span to fit is where the data is, within the range asked for.
    let first = years.buckets[0].start;
    let last = years.buckets.at(-1).end;
    const from = bounds(filters.from)?.lower;
    const to = bounds(filters.to)?.upper;
    if (from && from > first) first = from;
    if (to && to < last) last = to;
    const days = daysBetween(first, last) + 1;
    const bucket = days <= 92 ? "day" : days <= 8 * 366 ? "month" : "year";
    if (bucket !== "year") timeline = await getJSON("/v1/timeline", { ...filters, bucket }, signal);
    // Events with long or vague dates can stretch a short range far back.
    if (timeline.buckets.length > MAX_PERIODS && bucket === "day") {
      timeline = await getJSON("/v1/timeline", { ...filters, bucket: "month" }, signal);
    }
    if (timeline.buckets.length > MAX_PERIODS) timeline = years;
  }
  timelineCache = { key, timeline };
  return timeline;
}

/** The list's query: the filters, narrowed to the chosen period. */
function listParams(filters, period) {
  const span = bounds(period);
  if (!span) return filters;
  const from = bounds(filters.from)?.lower;
  const to = bounds(filters.to)?.upper;
  return {
    ...filters,
    from: from && from > span.lower ? from : span.lower,
    to: to && to < span.upper ? to : span.upper,
  };
}

/**
 * A page of events. Within a period, keep the events the chart counts there: those that begin
 * in it. (The API matches by overlap, so a vaguely dated event that begins earlier comes too.)
 */
async function fetchEvents(params, period, cursor, signal) {
  const span = bounds(period);
  const items = [];
  let page;
  do {
    page = await getJSON("/v1/events",
      { ...params, limit: PAGE_SIZE, cursor, include_total: span || cursor ? "" : "true" }, signal);
    items.push(...(span
      ? page.items.filter((event) => event.date_lower >= span.lower && event.date_lower <= span.upper)
      : page.items));
    cursor = page.next_cursor;
  } while (span && !items.length && cursor);
  return { items, next: cursor, total: page.total };
}

function setBusy(busy) {
  $("loading").hidden = !busy;
  $("results").setAttribute("aria-busy", String(busy));
  $("results").classList.toggle("is-loading", busy);
  if (busy) $("status").textContent = "Loading events…";
}

async function load() {
  const state = readState();
  syncControls(state);
  describeView(state);
  const mine = ++generation;
  controller?.abort();
  controller = new AbortController();
  const { signal } = controller;
  setBusy(true);
  try {
    const filters = filtersOf(state);
    const params = listParams(filters, state.period);
    const [timeline, page] = await Promise.all([
      fetchTimeline(filters, signal),
      fetchEvents(params, state.period, null, signal),
    ]);
    if (mine !== generation) return;
    more = page.next ? { params, period: state.period, cursor: page.next } : null;
    showResults(state, filters, params, timeline, page);
  } catch (error) {
    if (error.name === "AbortError" || mine !== generation) return;
    showError(error, load);
  } finally {
    if (mine === generation) setBusy(false);
  }
}

// --- showing ----------------------------------------------------------------------------------

function eventItem(event) {
  return renderEvent(event, {
    countryName: (code) => countries.get(code)?.name ?? code,
    typeDescription: (type) => types.get(type)?.description ?? "",
    titleOf: (id) => titles.get(id) ?? null,
  });
}

function showEvents(items, append) {
  for (const event of items) titles.set(event.id, event.title);
  const list = $("event-list");
  if (!append) list.replaceChildren();
  list.append(...items.map(eventItem));
  $("more").hidden = !more;
}

function showResults(state, filters, params, timeline, page) {
  $("notice").hidden = true;
  $("results").hidden = false;
  $("results").classList.remove("is-failed");
  // A timeline over a closed range lists its periods even when none has an event.
  const empty = !page.items.length && timeline.buckets.every((b) => b.count === 0);
  $("results").classList.toggle("is-empty", empty);
  if (empty) {
    chart.clear();
    showEvents([], false);
    $("events-title").textContent = "No events";
    $("status").textContent = "No events match these choices.";
    showNotice("empty", "No events match these choices.",
      "Try a wider date range, fewer event types, another search or another pair of countries.",
      el("button", { type: "button", onclick: () => navigate({ ...state, from: "", to: "", q: "", types: [], period: "" }) },
        "Keep the countries, clear the rest"));
    return;
  }
  chart.draw(timeline, state.period);
  titles.clear();
  showEvents(page.items, false);

  const bucket = timeline.buckets.find((b) => b.period === state.period);
  const count = state.period ? (bucket?.count ?? page.items.length) : (page.total ?? page.items.length);
  const heading = state.period ? `${plural(count, "event")} in ${formatDate(state.period)}` : plural(count, "event");
  $("events-title").textContent = heading;
  $("status").textContent = `${heading}: ${$("view-title").textContent}`;
  $("clear-period").hidden = !state.period;

  // The exports answer the same question as the list, in every format, whatever the count.
  // The page's CSV is for a spreadsheet: with a byte order mark, which Excel needs for UTF-8.
  for (const format of ["csv", "ics", "timelinejs"]) {
    const extra = format === "csv" ? { bom: "true" } : {};
    $(`export-${format}`).href = apiUrl("/v1/events", { ...params, ...extra, format });
  }
  $("export-json").href = apiUrl("/v1/events", params);
}

function showNotice(kind, title, text, ...actions) {
  $("notice").classList.toggle("is-error", kind === "error");
  $("notice").replaceChildren(el("p", { class: "notice-title" }, title), text && el("p", {}, text),
    actions.length > 0 && el("p", { class: "notice-actions" }, actions));
  $("notice").hidden = false;
}

function showError(error, retry) {
  // What was on screen answered another question: hide it rather than let it mislead.
  $("results").hidden = false;
  $("results").classList.add("is-failed");
  const answered = error.status > 0 && error.status < 500 && error.status !== 429;
  const title = error.status === 0 ? "Could not reach the Dyad API."
    : answered ? "The API did not accept these choices." : "The API could not answer just now.";
  const problems = error.problems ?? [];
  // Point at the field the API refused ("loc": ["query", "from"]), for eyes and screen readers.
  const fields = { from: "from", to: "to", q: "q", dyad: "country-a", country: "country-a" };
  for (const problem of problems) $(fields[problem.loc?.[1]])?.setAttribute("aria-invalid", "true");
  showNotice("error", title, [error.message, ...problems.map((problem) => problem.msg)].join(" "),
    answered
      ? el("button", { type: "button", onclick: () => navigate({ a: "", b: "", from: "", to: "", q: "", types: [], period: "" }) }, "Clear all choices")
      : el("button", { type: "button", onclick: retry }, "Try again"));
  $("status").textContent = title;
}

// --- wiring -----------------------------------------------------------------------------------

async function start() {
  setBusy(true);
  try {
    const [countryList, typeList] = await Promise.all([getJSON("/v1/countries"), getJSON("/v1/event-types")]);
    for (const country of countryList) countries.set(country.code, country);
    for (const type of typeList) types.set(type.type, type);
  } catch (error) {
    setBusy(false);
    syncControls(readState());
    describeView(readState());
    showError(error, start);
    return;
  }
  renderTypeChoices();
  await load();
}

$("filters").addEventListener("submit", (event) => {
  event.preventDefault();
  navigate(readControls());
});
// Lists and boxes apply at once; text fields when left or on Enter (which also submits).
$("filters").addEventListener("change", () => navigate(readControls()));
$("clear").addEventListener("click", () => navigate({ a: "", b: "", from: "", to: "", q: "", types: [], period: "" }));
$("clear-period").addEventListener("click", () => navigate({ ...readState(), period: "" }));
$("more").addEventListener("click", async () => {
  const button = $("more");
  button.disabled = true;
  button.textContent = "Loading more events…";
  const mine = generation; // a new view started meanwhile makes this page moot
  try {
    const page = await fetchEvents(more.params, more.period, more.cursor);
    if (mine !== generation) return;
    more = page.next ? { ...more, cursor: page.next } : null;
    showEvents(page.items, true);
  } catch (error) {
    if (mine === generation) showError(error, load);
  } finally {
    button.disabled = false;
    button.textContent = "Show more events";
  }
});
// A link to another event on the page opens it where it is, without touching the URL's history.
$("event-list").addEventListener("click", (event) => {
  const link = event.target.closest("a.event-jump");
  if (!link) return;
  const item = $(`event-${link.dataset.event}`);
  if (!item) return;
  event.preventDefault();
  item.querySelector("details").open = true;
  item.scrollIntoView({ block: "start" });
  item.querySelector("summary").focus();
});
window.addEventListener("popstate", load);

start();
