// "How this was read": the QuerySpec and the SQL each tier ran, editable and re-runnable.
import { api } from "./api.js";
import { clear, h, problem, spinner, table } from "./dom.js";
import { editor } from "./editor.js";
import { exportBar } from "./exporter.js";

/** SQL with its bound parameters written in, so it can be read and run as it stands. */
export function inlineParams(sql, params) {
  const values = Object.values(params || {});
  const literal = (v) => {
    if (v === null || v === undefined) return "NULL";
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    return `'${String(v).replaceAll("'", "''")}'`;
  };
  let i = 0;
  const named = params && !Array.isArray(params) ? params : {};
  let out = sql.replace(/%\((\w+)\)s/g, (m, name) => (name in named ? literal(named[name]) : m));
  out = out.replace(/\$(\d+)(::\w+)?/g, (m, n) => (Number(n) <= values.length ? literal(values[Number(n) - 1]) : m));
  out = out.replace(/\?/g, () => (i < values.length ? literal(values[i++]) : "?"));
  return out;
}

/** Every statement an explain holds, wherever the planner put it: [{label, sql, params, ...}]. */
export function statementsOf(explain) {
  const out = [];
  const walk = (node, path) => {
    if (!node || typeof node !== "object") return;
    if (Array.isArray(node)) {
      node.forEach((n) => walk(n, path));
      return;
    }
    if (typeof node.sql === "string") {
      const where = [...path, node.store].filter((p) => p && p !== "stores");
      const tiers = Array.isArray(node.tiers) ? `${node.tiers.join(" + ")} (one statement)` : "";
      out.push({ label: where.join(" · ") || tiers || "the store", sql: node.sql, params: node.params, rows: node.rows, ms: node.ms });
    }
    for (const [k, v] of Object.entries(node)) if (k !== "sql" && typeof v === "object") walk(v, [...path, k]);
  };
  walk(explain, []);
  return out;
}

function resultBlock(res, source) {
  return h(
    "div",
    { class: "rerun-result" },
    h("p", { class: "muted" }, `${res.rows.length} row${res.rows.length === 1 ? "" : "s"}${res.truncated ? " (cut short by the server's row cap)" : ""}`),
    table(res.columns, res.rows.slice(0, 200), { caption: "Result of the edited query" }),
    source ? exportBar(source, "query") : null,
  );
}

function runner(label, run, source) {
  const out = h("div", { class: "rerun", "aria-live": "polite" });
  const go = async () => {
    clear(out, spinner("Running…"));
    try {
      const res = await run();
      clear(out, resultBlock(res, source && source()));
    } catch (err) {
      clear(out, problem(err));
    }
  };
  return { out, go, button: h("button", { type: "button", class: "small", onclick: go }, label) };
}

/** A spec without its empty defaults (null, [], false, offset 0), as a person writes it. */
export function compactSpec(value) {
  if (Array.isArray(value)) return value.map(compactSpec);
  if (!value || typeof value !== "object") return value;
  const out = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v === false || (Array.isArray(v) && !v.length) || (k === "offset" && v === 0)) continue;
    out[k] = compactSpec(v);
  }
  return out;
}

/** The details block of an answer; ``onAnswer`` receives a re-run result to show. */
export function readingBlock(answer, { onSpecResult } = {}) {
  const explain = answer.explain || {};
  const body = h("div", { class: "reading-body" });
  const details = h("details", { class: "reading" }, h("summary", null, "How this was read"), body);
  let built = false;
  details.addEventListener("toggle", () => {
    if (!details.open || built) return;
    built = true;
    const parts = [];
    if (answer.spec) {
      const r = runner(
        "Run this QuerySpec",
        () => api("/v1/query", { body: JSON.parse(specEditor.value) }),
        () => { const spec = JSON.parse(specEditor.value); return () => ({ spec }); },
      );
      const specEditor = editor(JSON.stringify(compactSpec(answer.spec), null, 2), { lang: "json", label: "QuerySpec (JSON)", onRun: r.go });
      parts.push(h("h3", null, "QuerySpec"), specEditor.node, h("div", { class: "row" }, r.button, h("span", { class: "muted" }, "Ctrl+Enter runs")), r.out);
      void onSpecResult;
    }
    statementsOf(explain).forEach((store, n) => {
      const sql = inlineParams(store.sql, store.params);
      const r = runner(
        "Run as SQL",
        () => api("/v1/sql", { body: { sql: ed.value } }),
        () => { const sql = ed.value; return () => ({ sql }); },
      );
      const ed = editor(sql, { lang: "sql", label: `SQL run on ${store.label}`, onRun: r.go });
      const stats = store.rows !== undefined ? ` · ${store.rows} rows${store.ms !== undefined ? ` in ${store.ms} ms` : ""}` : "";
      const unbound = /\$\d+|(?<![\w'])\?(?![\w'])/.test(sql);
      parts.push(
        h("h3", null, `SQL on ${store.label}`, h("span", { class: "muted" }, stats)),
        ed.node,
        unbound ? h("p", { class: "muted" }, "The engine binds the values of $1, $2…; write them in to run this yourself.") : null,
        h("div", { class: "row" }, r.button, h("span", { class: "muted" }, "Runs through /v1/sql as a read-only SELECT under your key")),
        r.out,
      );
      if (n === 0) ed.ready.then((e) => e.impl && e.impl.view.contentDOM.setAttribute("data-first-sql", ""));
    });
    const facts = [];
    if (explain.tiers) facts.push(["tiers", [].concat(explain.tiers).join(", ")]);
    if (explain.merge && typeof explain.merge === "string") facts.push(["merge", explain.merge]);
    if (explain.segments_read) facts.push(["segments read", Object.entries(explain.segments_read).map(([k, v]) => `${k} ${v}`).join(", ")]);
    if (explain.segments_pruned) facts.push(["segments pruned", Object.entries(explain.segments_pruned).map(([k, v]) => `${k} ${v}`).join(", ")]);
    if (explain.plan) facts.push(["plan", `${explain.plan.kind || ""} over ${(explain.plan.stores || []).join(", ")}; merge ${explain.plan.merge || "—"}`]);
    if (explain.timings) facts.push(["timings", Object.entries(explain.timings).map(([k, v]) => `${k} ${v}`).join(", ")]);
    if (explain.result_cache) facts.push(["result cache", String(explain.result_cache)]);
    if (explain.nl) facts.push(["reader", `${explain.nl.source || ""}${explain.nl.notes?.length ? `; ${explain.nl.notes.join("; ")}` : ""}`]);
    if (facts.length) parts.push(h("dl", { class: "facts" }, facts.map(([k, v]) => [h("dt", null, k), h("dd", null, v)])));
    if (!parts.length) parts.push(h("p", { class: "muted" }, "The server sent no reading for this answer."));
    clear(body, parts);
  });
  return details;
}
