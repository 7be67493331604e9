// Tiers: where each collection's data lies (hot cache, warm store, cold segments) over
// time, the moves planned and queued, the caches, and (admin) a migration pass to watch.
import { ApiError, api } from "./api.js";
import { announce, clear, formatBytes, formatNumber, h, problem, spinner, table } from "./dom.js";
import { loadCharts } from "./chart.js";

const TIER_COLORS = { hot: "#d4572a", warm: "#c2952b", cold: "#2f5bd3" };

function pct(x) {
  return `${Math.round((x || 0) * 1000) / 10}%`;
}

function tierBar(t) {
  const warm = t.warm_rows || 0;
  const cold = t.cold_rows || 0;
  const total = warm + cold;
  if (t.warm_rows === null) return h("span", { class: "muted" }, "hidden by your row filter");
  return h(
    "span",
    { class: "tierbar", role: "img", "aria-label": `${formatNumber(warm)} warm rows, ${formatNumber(cold)} cold rows` },
    h("span", { class: "seg warm", style: { width: `${total ? (warm / total) * 100 : 0}%` } }),
    h("span", { class: "seg cold", style: { width: `${total ? (cold / total) * 100 : 0}%` } }),
  );
}

/** A Vega-Lite spec: one rectangle per warm window and cold segment, by time; opacity = heat. */
function mapSpec(ex, width) {
  const values = [];
  for (const s of ex.segments || []) {
    const start = s.window_start || s.time_min;
    const end = s.window_end || s.time_max;
    if (!start || !end) continue;
    values.push({ tier: s.tier, start, end, rows: s.rows, heat: s.heat || 0, what: `segment ${s.id}`, state: s.state });
  }
  if (ex.warm && ex.warm.rows && ex.warm.oldest && ex.warm.newest) {
    values.push({ tier: "warm", start: ex.warm.oldest, end: ex.warm.newest, rows: ex.warm.rows, heat: 1, what: "warm rows", state: "active" });
  }
  for (const p of ex.planned || []) {
    if (p.window_start && p.window_end) values.push({ tier: "planned", start: p.window_start, end: p.window_end, rows: p.rows, heat: 1, what: `${p.kind} planned`, state: "planned" });
  }
  if (!values.length) return null;
  return {
    width,
    height: { step: 26 },
    data: { values },
    description: `Tier map of ${ex.collection}`,
    mark: { type: "bar", stroke: "#fff", strokeWidth: 0.6 },
    encoding: {
      y: { field: "tier", type: "nominal", title: null, sort: ["hot", "warm", "planned", "cold"] },
      x: { field: "start", type: "temporal", title: "time" },
      x2: { field: "end" },
      color: { field: "tier", type: "nominal", scale: { domain: ["hot", "warm", "planned", "cold"], range: [TIER_COLORS.hot, TIER_COLORS.warm, "#8a4fd0", TIER_COLORS.cold] }, legend: null },
      opacity: { field: "heat", type: "quantitative", scale: { domain: [0, 1], range: [0.45, 1] }, legend: null },
      tooltip: [
        { field: "what", title: "what" },
        { field: "rows", title: "rows" },
        { field: "start", type: "temporal", title: "from" },
        { field: "end", type: "temporal", title: "to" },
      ],
    },
    config: { view: { stroke: null }, font: "system-ui, sans-serif" },
  };
}

async function collectionMap(holder, name) {
  let ex;
  try {
    ex = await api(`/v1/tiers/${encodeURIComponent(name)}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) {
      clear(holder, h("p", { class: "muted" }, "The segment map needs admin on this collection."));
      return;
    }
    throw err;
  }
  const parts = [];
  const spec = mapSpec(ex, Math.max(300, Math.min(860, (holder.clientWidth || 760) - 120)));
  const chart = h("div", { class: "chart tiermap", "data-chart": "tiermap", role: "figure", "aria-label": `Tier map of ${name}: warm windows and cold segments over time` });
  if (spec) parts.push(chart);
  else if (ex.warm?.rows) parts.push(h("p", null, `${formatNumber(ex.warm.rows)} rows, all warm.`));
  else parts.push(h("p", { class: "muted" }, "No rows yet."));
  if (ex.warm?.why) parts.push(h("p", { class: "muted" }, ex.warm.why));
  const pol = ex.policy || {};
  parts.push(h("p", { class: "muted" }, `Policy ${pol.domain || name}: hot for ${pol.hot_for}, warm for ${pol.warm_for}, promote after ${pol.promote_after} reads, delete after ${pol.delete_after || "never"}; windows of ${pol.window || "—"}.`));
  const queue = ex.queue || [];
  const planned = ex.planned || [];
  const failed = queue.filter((q) => /fail/i.test(q.state || q.status || ""));
  parts.push(
    h("p", null, `${(ex.segments || []).length} cold segments · ${planned.length} moves planned · ${queue.length} queued · ${failed.length} failed`),
  );
  if (planned.length) parts.push(table(["kind", "window", "rows", "why"], planned.slice(0, 20).map((p) => [p.kind, `${p.window_start || ""} – ${p.window_end || ""}`, p.rows, p.reason])));
  if (queue.length) parts.push(table(Object.keys(queue[0]), queue.slice(0, 20).map((q) => Object.values(q)), { caption: "Queued and failed moves" }));
  const segs = ex.segments || [];
  if (segs.length) {
    parts.push(
      h(
        "details",
        null,
        h("summary", null, `Segments (${segs.length})`),
        table(["id", "tier", "window", "rows", "bytes", "reads", "heat", "next"], segs.map((s) => [s.id, s.tier, `${s.window_start || s.time_min} – ${s.window_end || s.time_max}`, s.rows, formatBytes(s.bytes), s.reads, s.heat, s.next])),
      ),
    );
  }
  clear(holder, parts);
  if (spec) {
    const { renderChart } = await loadCharts();
    await renderChart(chart, spec);
    chart.dataset.marks = String(chart.querySelectorAll(".mark-rect path").length);
  }
}

function migrateBox(me, rerender) {
  if (!me.admin) return null;
  const out = h("div", { class: "migrate-out", "aria-live": "polite" });
  const progress = h("progress", { max: "100", value: "0", "aria-label": "Migration progress", hidden: true });
  const button = h("button", { type: "button", class: "primary", id: "migrate" }, "Run a migration pass");
  const dry = h("input", { type: "checkbox", id: "dry-run" });
  button.addEventListener("click", async () => {
    button.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    clear(out, spinner("Planning the pass…"));
    let timer = 0;
    try {
      const plan = await api("/v1/tiers/migrate?dry_run=true", { method: "POST" });
      const plannedRows = (plan.planned || []).reduce((n, p) => n + (p.rows || 0), 0);
      if (dry.checked) {
        progress.hidden = true;
        clear(out, report(plan, true));
        return;
      }
      const before = await api("/v1/tiers");
      const coldOf = (ts) => ts.reduce((n, t) => n + (t.cold_rows || 0), 0);
      const cold0 = coldOf(before);
      clear(out, spinner(`Moving ${(plan.planned || []).length} windows (${formatNumber(plannedRows)} rows)…`));
      timer = setInterval(async () => {
        try {
          const moved = Math.abs(coldOf(await api("/v1/tiers")) - cold0);
          if (plannedRows) progress.value = Math.min(99, (moved / plannedRows) * 100);
        } catch {
          /* progress is best effort */
        }
      }, 700);
      const done = await api("/v1/tiers/migrate", { method: "POST" });
      progress.value = 100;
      clear(out, report(done, false));
      announce(`Migration pass done: ${done.rows_moved} rows moved`);
      await rerender();
    } catch (err) {
      clear(out, problem(err));
    } finally {
      clearInterval(timer);
      button.disabled = false;
    }
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "migrate-title" },
    h("h2", { id: "migrate-title" }, "Migration"),
    h("div", { class: "row" }, button, h("label", null, dry, " plan only (dry run)"), progress),
    out,
  );
}

function report(r, dry) {
  const failed = r.failed || [];
  return h(
    "div",
    { class: "report" },
    h(
      "p",
      null,
      dry
        ? `Planned ${(r.planned || []).length} moves.`
        : `Done ${(r.done || []).length} moves, ${formatNumber(r.rows_moved || 0)} rows, in ${r.seconds}s; ${failed.length} failed; ${(r.recovered || []).length} recovered; ${(r.orphans_removed || []).length} orphans removed.`,
    ),
    (r.planned || []).length && dry ? table(["kind", "collection", "rows", "why"], r.planned.slice(0, 30).map((p) => [p.kind, p.collection, p.rows, p.reason])) : null,
    failed.length ? table(Object.keys(failed[0]), failed.map((f) => Object.values(f)), { caption: "Failed moves" }) : null,
    !dry && !(r.planned || []).length ? h("p", { class: "muted" }, "Nothing was due to move (see each collection's policy and min_age).") : null,
  );
}

export const tiersView = {
  async render(main, _args, ctx) {
    clear(main, h("h1", null, "Tiers"), spinner("Loading tiers…"));
    const data = h("div", { class: "tiers-data" });
    const draw = async () => {
      const tiers = await api("/v1/tiers");
      const cacheRows = tiers.map((t) => [
        t.collection,
        tierBar(t),
        t.warm_rows,
        t.cold_rows,
        t.cold_segments,
        formatBytes(t.cold_bytes),
        t.hot_cache ? `${t.hot_cache.entries} · ${formatBytes(t.hot_cache.bytes)} · ${pct(t.hot_cache.hit_rate)}` : "—",
        t.result_cache ? `${t.result_cache.entries} · ${pct(t.result_cache.hit_rate)}` : "—",
      ]);
      const overview = table(["collection", "warm | cold", "warm rows", "cold rows", "cold segments", "cold size", "hot cache (entries · size · hit rate)", "result cache (entries · hit rate)"], cacheRows, { caption: "Data by tier" });
      const maps = tiers.map((t) => {
        const holder = h("div", { class: "map-holder" }, spinner("Loading the segment map…"));
        return { name: t.collection, holder, node: h("section", { class: "card", "aria-label": `Tier map of ${t.collection}` }, h("h2", null, t.collection), holder) };
      });
      clear(data, overview, maps.map((m) => m.node));
      await Promise.all(maps.map((m) => collectionMap(m.holder, m.name).catch((err) => clear(m.holder, problem(err)))));
      main.dataset.ready = "true";
    };
    main.dataset.ready = "false";
    clear(main, h("h1", null, "Tiers"), h("p", { class: "muted" }, "Hot: the cache over the operational store. Warm: the operational store. Cold: compressed Parquet segments. Darker segments are hotter (read more)."), migrateBox(ctx.me, draw), data);
    await draw();
  },
};
