// The chart of an answer, drawn by Vega-Lite as SVG (each mark an element with an ARIA
// label), or a big number with its change against the period before.
import { api } from "./api.js";
import { formatNumber, h } from "./dom.js";
import { shapeOf, vegaLiteOf } from "./shape.js";

let vega = null;
/** Load the chart chunk (call early: the first chart then does not wait for it). */
export function loadCharts() {
  vega ||= import("./vega-bundle.js");
  return vega;
}

/** The period just before a spec's bounded time range, as a spec, or null. */
export function previousPeriodSpec(spec) {
  const t = spec && spec.time;
  if (!t || !t.start || !t.end) return null;
  const start = Date.parse(t.start);
  const end = Date.parse(t.end);
  if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) return null;
  const span = end - start;
  const iso = (ms) => new Date(ms).toISOString();
  const { limit, offset, ...rest } = spec;
  return { ...rest, time: { ...t, start: iso(start - span), end: iso(start) } };
}

function changeLine(now, before) {
  if (typeof now !== "number" || typeof before !== "number") return null;
  if (before === 0) {
    return now === 0 ? "the same as the period before (0)" : `up from 0 in the period before`;
  }
  const pct = ((now - before) / Math.abs(before)) * 100;
  const dir = pct > 0 ? "▲" : pct < 0 ? "▼" : "=";
  const word = pct > 0 ? "more than" : pct < 0 ? "less than" : "the same as";
  return `${dir} ${Math.abs(pct).toFixed(pct && Math.abs(pct) < 10 ? 1 : 0)}% ${word} the period before (${formatNumber(before)})`;
}

function bigNumbers(answer, shape) {
  const row = answer.rows[0];
  const box = h("div", { class: "bignums", "data-chart": "number" });
  const items = shape.y.map((c) => {
    const value = row[answer.columns.indexOf(c)];
    const change = h("p", { class: "change muted" });
    box.append(h("figure", { class: "bignum" }, h("figcaption", null, c), h("p", { class: "value" }, formatNumber(value)), change));
    return { c, value, change };
  });
  const prev = previousPeriodSpec(answer.spec);
  if (prev) {
    api("/v1/query", { body: prev })
      .then((res) => {
        for (const item of items) {
          const i = res.columns.indexOf(item.c);
          const line = i >= 0 && res.rows.length === 1 ? changeLine(item.value, res.rows[0][i]) : null;
          if (line) item.change.textContent = line;
        }
      })
      .catch(() => {
        /* the comparison is a bonus: the number stands without it */
      });
  }
  return box;
}

/**
 * A chart for an answer ({columns, rows, spec}); resolves once drawn, with its kind.
 * Returns {node, kind, ready: Promise}.
 */
export function chartFor(answer) {
  const shape = shapeOf(answer);
  if (shape.kind === "table") return { node: null, kind: "table", ready: Promise.resolve() };
  if (shape.kind === "number") return { node: bigNumbers(answer, shape), kind: "number", ready: Promise.resolve() };
  const holder = h("div", {
    class: "chart",
    "data-chart": shape.kind,
    role: "figure",
    "aria-label": `${shape.kind === "line" ? "Line" : "Bar"} chart of ${shape.y[0]} by ${shape.x}`,
  });
  const ready = loadCharts().then(async ({ renderChart }) => {
    const width = Math.max(280, Math.min(900, (holder.parentElement?.clientWidth || 720) - 140));
    await renderChart(holder, vegaLiteOf(shape, answer, width));
    holder.dataset.marks = String(holder.querySelectorAll(shape.kind === "line" ? ".mark-symbol path" : ".mark-rect path").length);
  });
  return { node: holder, kind: shape.kind, ready };
}
