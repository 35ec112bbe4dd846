// Small helpers shared by the page's modules: building DOM nodes, and wording dates and tones.
// Nodes are built with createElement and text nodes, never from HTML strings, so text from
// the API can never become markup.

const SVG_NS = "http://www.w3.org/2000/svg";

function build(node, attrs, children) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  node.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

/** el("a", {href: "/x"}, "text", child): an HTML element. */
export function el(tag, attrs = {}, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** svg("rect", {x: 1}): an SVG element. */
export function svg(tag, attrs = {}, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

const MONTHS = [
  "January", "February", "March", "April", "May", "June",
  "July", "August", "September", "October", "November", "December",
];
const EDTF = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?([?~%])?$/;

/**
 * An EDTF date in words, at its own precision: "2012-08" is "August 2012", "2013?" stays
 * "2013?", "2013-04~" is "c. April 2013". Anything else is shown as it came.
 */
export function formatDate(edtf) {
  const match = EDTF.exec(edtf ?? "");
  if (!match) return edtf ?? "";
  const [, year, month, day, qualifier] = match;
  let text = year;
  if (month) text = `${MONTHS[Number(month) - 1]} ${text}`;
  if (day) text = `${Number(day)} ${text}`;
  if (qualifier === "~" || qualifier === "%") text = `c. ${text}`;
  if (qualifier === "?" || qualifier === "%") text = `${text}?`;
  return text;
}

/** The first and last day ("YYYY-MM-DD") an EDTF date can mean, or null if it is not one. */
export function bounds(edtf) {
  const match = EDTF.exec((edtf ?? "").trim());
  if (!match) return null;
  const [, year, month, day] = match;
  if (day) return { lower: `${year}-${month}-${day}`, upper: `${year}-${month}-${day}` };
  if (month) {
    const last = new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate();
    return { lower: `${year}-${month}-01`, upper: `${year}-${month}-${last}` };
  }
  return { lower: `${year}-01-01`, upper: `${year}-12-31` };
}

/** Whole days from one ISO date to another. */
export function daysBetween(first, last) {
  return (Date.parse(last) - Date.parse(first)) / 86_400_000;
}

/** -5 is "−5", 0.625 is "+0.6": a real minus sign, and a plus so the sign is never guessed. */
export function formatTone(tone) {
  const rounded = Math.round(tone * 10) / 10;
  const digits = Number.isInteger(rounded) ? String(Math.abs(rounded)) : Math.abs(rounded).toFixed(1);
  if (rounded > 0) return `+${digits}`;
  if (rounded < 0) return `−${digits}`;
  return "0";
}

/** The word for a tone on the -10 (hostile) to +10 (friendly) scale. */
export function toneWord(tone) {
  if (tone <= -2) return "hostile";
  if (tone >= 2) return "friendly";
  return "neutral";
}

/** plural(3, "event") is "3 events". */
export function plural(count, noun) {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
