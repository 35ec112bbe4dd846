// The chart of a timeline (GET /v1/timeline): events per period as bars, and each period's mean
// tone as a lollipop on a -10..+10 strip below. It is drawn as inline SVG at the container's
// real width, not scaled from a fixed viewBox, so its text stays legible at phone width.
import { el, formatDate, formatTone, plural, svg, toneWord } from "./format.js";

const MARGIN = { left: 40, right: 12 };
const COUNT_TOP = 34; // room above the tallest bar for its number
const COUNT_BOTTOM = 170;
const LABEL_Y = 186; // period labels, right under the bars
const TONE_CAPTION_Y = 228;
const TONE_TOP = 242;
const TONE_BOTTOM = 318;
const HEIGHT = 326;

/** A period's numbers in one sentence: the tooltip and what a screen reader announces. */
export function describePeriod(bucket, period) {
  const parts = [`${formatDate(period.period)}: ${plural(period.count, "event")}`];
  if (period.tone_mean !== null) {
    parts.push(`mean tone ${formatTone(period.tone_mean)} (${toneWord(period.tone_mean)})`);
  }
  if (period.imprecise) {
    parts.push(`${period.imprecise} dated less precisely than a ${bucket}`);
  }
  return parts.join(", ");
}

/** 0, a round step, ... up to at least `max`, in at most five ticks. */
function countTicks(max) {
  const step = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000].find((s) => max / s <= 4)
    ?? 10 ** Math.ceil(Math.log10(max / 4));
  const ticks = [];
  for (let tick = 0; tick < max + step; tick += step) ticks.push(tick);
  return ticks;
}

/** The label under a period: a first line, and a second one when the year (or month) turns. */
function periodLabel(bucket, period, previous) {
  const [year, month, day] = period.split("-");
  if (bucket === "year") return [year, ""];
  const monthName = formatDate(`${year}-${month}`).slice(0, 3);
  if (bucket === "month") return [monthName, previous?.slice(0, 4) === year ? "" : year];
  const turned = previous?.slice(0, 7) !== `${year}-${month}`;
  return [String(Number(day)), turned ? `${monthName} ${year}` : ""];
}

/**
 * A chart in `host`. `onSelect(period | null)` is called when a period is clicked, or chosen
 * with Enter or Space; choosing the selected period again, or Escape, clears the choice.
 */
export function createChart(host, onSelect) {
  let shown = null; // the last timeline and selection, to redraw at a new width
  let drawnWidth = 0;

  new ResizeObserver(() => {
    if (shown && host.clientWidth !== drawnWidth) draw(shown.timeline, shown.selected);
  }).observe(host);

  function draw(timeline, selected) {
    shown = { timeline, selected };
    // A redraw replaces the focused element: remember which period had focus to give it back.
    const focused = host.contains(document.activeElement)
      ? document.activeElement.dataset?.period ?? null
      : null;
    host.replaceChildren();
    const { bucket, buckets } = timeline;
    if (!buckets.length) return;

    const width = Math.max(host.clientWidth, 280);
    drawnWidth = host.clientWidth;
    const step = (width - MARGIN.left - MARGIN.right) / buckets.length;
    const barWidth = Math.max(Math.min(step * 0.66, 56), 1);
    const ticks = countTicks(Math.max(1, ...buckets.map((b) => b.count)));
    const top = ticks.at(-1);
    const yCount = (count) => COUNT_BOTTOM - (count / top) * (COUNT_BOTTOM - COUNT_TOP);
    const yTone = (tone) => TONE_TOP + ((10 - tone) / 20) * (TONE_BOTTOM - TONE_TOP);
    const centre = (i) => MARGIN.left + step * (i + 0.5);
    const right = width - MARGIN.right;
    // Thin the period labels out so that they never overlap.
    const labelEvery = Math.ceil((bucket === "day" ? 30 : 36) / step);

    const first = formatDate(buckets[0].period);
    const last = formatDate(buckets.at(-1).period);
    const chart = svg("svg", {
      width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`, class: "chart-svg",
      role: "group",
      "aria-label": `Events per ${bucket} and their mean tone, ${first === last ? first : `${first} to ${last}`}`,
      "aria-roledescription": "chart",
    });

    // Axes and guides first, so that the periods are drawn over them.
    for (const tick of ticks) {
      chart.append(
        svg("line", { x1: MARGIN.left, x2: right, y1: yCount(tick), y2: yCount(tick), class: tick ? "grid" : "baseline" }),
        svg("text", { x: MARGIN.left - 8, y: yCount(tick) + 4, class: "tick", "text-anchor": "end" }, String(tick)),
      );
    }
    for (const tone of [10, 0, -10]) {
      chart.append(
        svg("line", { x1: MARGIN.left, x2: right, y1: yTone(tone), y2: yTone(tone), class: tone ? "grid" : "zero" }),
        svg("text", { x: MARGIN.left - 8, y: yTone(tone) + 4, class: "tick", "text-anchor": "end" }, formatTone(tone)),
      );
    }

    const periods = buckets.map((b, i) => {
      const x = centre(i) - barWidth / 2;
      const precise = b.count - b.imprecise;
      const group = svg("g", {
        class: `period${b.period === selected ? " selected" : ""}`,
        role: "button",
        tabindex: -1,
        "aria-pressed": String(b.period === selected),
        "aria-label": describePeriod(bucket, b),
        "data-period": b.period,
      },
      svg("rect", { x: MARGIN.left + step * i, y: COUNT_TOP - 16, width: step, height: TONE_BOTTOM - COUNT_TOP + 24, class: "hit" }),
      precise > 0 && svg("rect", { x, y: yCount(precise), width: barWidth, height: COUNT_BOTTOM - yCount(precise), class: "bar" }),
      b.imprecise > 0 && svg("rect", { x, y: yCount(b.count), width: barWidth, height: yCount(precise) - yCount(b.count), class: "bar-imprecise" }),
      b.count > 0 && step >= 14 && svg("text", { x: centre(i), y: yCount(b.count) - 6, class: "bar-value", "text-anchor": "middle" }, String(b.count)),
      b.tone_mean !== null && [
        svg("line", { x1: centre(i), x2: centre(i), y1: yTone(0), y2: yTone(b.tone_mean), class: `stem tone-${toneWord(b.tone_mean)}` }),
        svg("circle", { cx: centre(i), cy: yTone(b.tone_mean), r: Math.min(5, Math.max(step / 3, 2)), class: `dot tone-${toneWord(b.tone_mean)}` }),
      ]);
      if (i % labelEvery === 0) {
        const [line1, line2] = periodLabel(bucket, b.period, i ? buckets[i - labelEvery].period : null);
        group.append(
          svg("text", { x: centre(i), y: LABEL_Y, class: "period-label", "text-anchor": "middle" }, line1),
          line2 && svg("text", { x: centre(i), y: LABEL_Y + 15, class: "period-label period-label-2", "text-anchor": "middle" }, line2),
        );
      }
      return group;
    });
    chart.append(...periods);
    // The captions go last, so that a highlighted period's band never hides them.
    chart.append(
      svg("text", { x: 0, y: 14, class: "chart-caption" }, `Events per ${bucket}`),
      svg("text", { x: 0, y: TONE_CAPTION_Y, class: "chart-caption" }, "Mean tone, from −10 hostile to +10 friendly"),
    );

    // The tooltip is HTML over the chart, placed through the CSSOM (allowed by a strict CSP).
    const tooltip = el("div", { class: "chart-tooltip", hidden: true, "aria-hidden": "true" });
    function show(i) {
      const b = buckets[i];
      const lines = [
        el("strong", {}, formatDate(b.period)),
        el("span", {}, plural(b.count, "event")),
        b.tone_mean !== null && el("span", {}, `mean tone ${formatTone(b.tone_mean)}, ${toneWord(b.tone_mean)}`),
        Object.keys(b.types).length > 0 && el("span", { class: "tooltip-types" },
          Object.entries(b.types).map(([type, count]) => `${type} ${count}`).join(" · ")),
        b.imprecise > 0 && el("span", { class: "tooltip-note" }, `${b.imprecise} dated only to a wider span`),
        b.count > 0 && el("span", { class: "tooltip-note" },
          b.period === selected ? "Click to show every period" : "Click to list them"),
      ];
      tooltip.replaceChildren(...lines.filter(Boolean));
      tooltip.hidden = false;
      const half = tooltip.offsetWidth / 2;
      tooltip.style.left = `${Math.min(Math.max(centre(i), half), width - half)}px`;
      tooltip.style.top = `${yCount(b.count) - 24}px`; // above the bar's number
    }
    const hide = () => { tooltip.hidden = true; };

    let current = Math.max(0, buckets.findIndex((b) => b.period === (focused ?? selected)));
    periods[current].setAttribute("tabindex", 0); // one tab stop; arrows move within the chart
    const choose = (i) => onSelect(buckets[i].period === selected ? null : buckets[i].period);
    periods.forEach((group, i) => {
      group.addEventListener("pointerenter", () => show(i));
      group.addEventListener("pointerleave", () => { if (document.activeElement !== group) hide(); });
      group.addEventListener("focus", () => {
        periods[current].setAttribute("tabindex", -1);
        current = i;
        group.setAttribute("tabindex", 0);
        show(i);
      });
      group.addEventListener("blur", hide);
      group.addEventListener("click", () => choose(i));
    });
    chart.addEventListener("keydown", (event) => {
      const moves = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
      let next = null;
      if (event.key in moves) next = Math.min(Math.max(current + moves[event.key], 0), periods.length - 1);
      else if (event.key === "Home") next = 0;
      else if (event.key === "End") next = periods.length - 1;
      else if (event.key === "Enter" || event.key === " ") choose(current);
      else if (event.key === "Escape") onSelect(null);
      else return;
      event.preventDefault();
      if (next !== null) periods[next].focus();
    });

    host.append(chart, tooltip);
    if (focused !== null) periods[current].focus();
  }

  return { draw, clear: () => { shown = null; host.replaceChildren(); } };
}
