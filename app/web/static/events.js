// One event of GET /v1/events as a list item: a line to scan (date, title, type, tone, status,
// countries, actors) that opens, as a native <details>, onto its summary, links and citations.
import { el, formatDate, formatTone, plural, toneWord } from "./format.js";

// How an event's links read from it (first) and from the event at the other end (second).
const RELATIONS = {
  responds_to: ["Responds to", "Responded to by"],
  denies: ["Denies", "Denied by"],
  follows: ["Follows", "Followed by"],
  part_of: ["Part of", "Includes"],
  same_as: ["Same as", "Same as"],
};

/** The event's date in words, at its real precision, with its end when it has one. */
export function eventDate(event) {
  const start = formatDate(event.date);
  return event.end_date ? `${start} – ${formatDate(event.end_date)}` : start;
}

function badges(event, typeDescription) {
  const tone = event.tone === null
    ? el("span", { class: "badge badge-tone" }, "no tone")
    : el("span", { class: `badge badge-tone tone-${toneWord(event.tone)}` },
      `tone ${formatTone(event.tone)} `, el("span", { class: "badge-note" }, toneWord(event.tone)));
  return el("span", { class: "badges" },
    el("span", { class: "badge badge-type", title: typeDescription(event.type) },
      el("span", { class: "visually-hidden" }, "type: "), event.type),
    tone,
    event.status === "disputed" && el("span", { class: "badge badge-disputed" }, "disputed"),
    event.status === "unsourced" && el("span", { class: "badge badge-unsourced" }, "no source"),
    origin(event),
  );
}

/** Whether a program or a dataset made the event, rather than an editor: never mistaken. */
function origin(event) {
  const tags = event.tags ?? [];
  if (tags.includes("machine-coded")) {
    return el("span", { class: "badge badge-machine", title: "Coded by a program from news text (GDELT, POLECAT or ICEWS); no editor has checked it." }, "machine-coded");
  }
  if (tags.includes("imported")) {
    return el("span", { class: "badge badge-machine", title: "Imported from a public dataset (ACLED)." }, "imported");
  }
  return false;
}

function people(event, countryName) {
  const actors = event.actors.map((actor) => `${actor.name} (${actor.role})`);
  return el("span", { class: "event-meta" },
    el("span", { class: "visually-hidden" }, "Countries: "),
    el("span", { class: "event-countries" }, event.countries.map(countryName).join(", ")),
    actors.length > 0 && [el("span", { "aria-hidden": "true" }, " · "),
      el("span", { class: "visually-hidden" }, "Actors: "), actors.join(", ")],
  );
}

function citation(cite) {
  const { source } = cite;
  const published = source.published ? formatDate(source.published) : null;
  const details = [source.publisher, source.kind, published, source.author && `by ${source.author}`, cite.locator]
    .filter(Boolean).join(" · ");
  return el("li", { class: `citation citation-${cite.stance}` },
    el("p", { class: "citation-source" },
      el("span", { class: `stance stance-${cite.stance}` }, cite.stance),
      " ",
      el("a", { href: source.url, rel: "noopener noreferrer", class: "citation-title" }, source.title || source.url),
      source.archive_url && [" (", el("a", { href: source.archive_url, rel: "noopener noreferrer" }, "archived"), ")"],
    ),
    el("p", { class: "citation-details" }, details),
    cite.quote && el("blockquote", { cite: source.url }, cite.quote),
  );
}

function citations(event) {
  if (!event.citations.length) return el("p", { class: "hint" }, "No source cites this event yet.");
  if (event.status !== "disputed") {
    return el("section", { class: "sources" },
      el("h3", {}, plural(event.citations.length, "source")),
      el("ul", { class: "citations" }, event.citations.map(citation)));
  }
  // A disputed event shows both sides next to each other, so neither reads as the verdict.
  const side = (stance, heading) => {
    const cites = event.citations.filter((cite) => cite.stance === stance);
    return el("section", { class: `side side-${stance}` },
      el("h3", {}, `${heading} (${cites.length})`),
      el("ul", { class: "citations" }, cites.map(citation)));
  };
  return el("div", { class: "sides" },
    side("supports", "Sources that support it"), side("disputes", "Sources that dispute it"));
}

function links(event, titleOf) {
  const rows = [
    ...event.links.map((link) => [RELATIONS[link.relation]?.[0] ?? link.relation, link.event_id]),
    ...(event.linked_from ?? []).map((link) => [RELATIONS[link.relation]?.[1] ?? link.relation, link.event_id]),
  ];
  if (!rows.length) return null;
  return el("ul", { class: "event-links" }, rows.map(([relation, id]) => {
    const title = titleOf(id);
    // An event on this page is a jump within it; any other opens in the API.
    const link = title
      ? el("a", { href: `#event-${id}`, class: "event-jump", "data-event": id }, title)
      : el("a", { href: `/v1/events/${encodeURIComponent(id)}` }, id);
    return el("li", {}, `${relation}: `, link);
  }));
}

/**
 * The list item of one event. `countryName(code)`, `typeDescription(type)` and `titleOf(id)`
 * (null for an event not on the page) come from the page, which knows the vocabularies.
 */
export function renderEvent(event, { countryName, typeDescription, titleOf }) {
  const disputed = event.status === "disputed";
  const count = (stance) => event.citations.filter((cite) => cite.stance === stance).length;
  const publishers = (stance) => [...new Set(event.citations
    .filter((cite) => cite.stance === stance).map((cite) => cite.source.publisher || cite.source.title))].join(", ");
  return el("li", { class: `event${disputed ? " is-disputed" : ""}`, id: `event-${event.id}` },
    el("details", {},
      el("summary", { class: "event-summary" },
        el("time", { class: "event-date", datetime: event.date.replace(/[?~%]$/, "") }, eventDate(event)),
        el("span", { class: "event-main" },
          el("span", { class: "event-title" }, event.title),
          badges(event, typeDescription),
          people(event, countryName),
          disputed && el("span", { class: "dispute-line" },
            `Supported by ${plural(count("supports"), "source")} (${publishers("supports")}), `
            + `disputed by ${count("disputes")} (${publishers("disputes")})`),
        ),
      ),
      el("div", { class: "event-body" },
        event.summary && el("p", { class: "event-text" }, event.summary),
        event.location && el("p", { class: "event-place" }, `Place: ${event.location.name}`),
        links(event, titleOf),
        citations(event),
        el("p", { class: "event-api" },
          el("a", { href: `/v1/events/${encodeURIComponent(event.id)}` }, "This event in the API"),
          " · ",
          el("a", { href: `/v1/events/${encodeURIComponent(event.id)}/citation?style=text` }, "How to cite it")),
      ),
    ),
  );
}
