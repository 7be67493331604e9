// Explore: every collection with its schema, and a record browser with paging, sorting,
// filters and facets on categorical fields (the datasette habits), a record view by key and
// export of what is on screen.
import { ApiError, api } from "./api.js";
import { announce, clear, formatBytes, formatNumber, h, problem, spinner, table, text } from "./dom.js";
import { exportBar } from "./exporter.js";

const OPS = ["=", "!=", ">", ">=", "<", "<=", "contains", "starts_with", "in", "is_null", "not_null"];
const NO_VALUE = new Set(["is_null", "not_null"]);
const PAGE_SIZES = [25, 50, 100];
const MAX_FACETS = 6;

const state = { browse: {} };

function browseOf(name) {
  state.browse[name] ||= { filters: [], sort: null, page: 0, size: 25 };
  return state.browse[name];
}

function whereOf(filters) {
  if (!filters.length) return undefined;
  const conds = filters.map((f) => (NO_VALUE.has(f.op) ? { field: f.field, op: f.op } : { field: f.field, op: f.op, value: f.value }));
  return conds.length === 1 ? conds[0] : { and: conds };
}

/** A typed filter value from the text typed, by the field's type. */
function typedValue(type, op, raw) {
  const one = (s) => {
    s = s.trim();
    if (type === "int" || type === "float") {
      const n = Number(s);
      if (s === "" || !Number.isFinite(n)) throw new Error(`"${s}" is not a number`);
      return n;
    }
    if (type === "bool") {
      if (/^(true|yes|1)$/i.test(s)) return true;
      if (/^(false|no|0)$/i.test(s)) return false;
      throw new Error(`"${s}" is not true or false`);
    }
    return s;
  };
  if (op === "in") return raw.split(",").map(one);
  return one(raw);
}

function nullBar(share) {
  const pct = Math.round((share || 0) * 1000) / 10;
  return h(
    "span",
    { class: "nullshare" },
    h("span", { class: "bar", "aria-hidden": "true" }, h("span", { class: "fill", style: { width: `${Math.min(100, pct)}%` } })),
    `${pct}%`,
  );
}

function distribution(values) {
  if (!values) return h("span", { class: "muted" }, "");
  if (!values.length) return h("span", { class: "muted" }, "—");
  const max = Math.max(...values.map((v) => v.count));
  return h(
    "ul",
    { class: "dist", "aria-label": "Most common values" },
    values.slice(0, 5).map((v) =>
      h(
        "li",
        null,
        h("span", { class: "dist-label" }, v.value === null ? "null" : text(v.value)),
        h("span", { class: "bar", "aria-hidden": "true" }, h("span", { class: "fill", style: { width: `${(v.count / max) * 100}%` } })),
        h("span", { class: "num" }, formatNumber(v.count)),
      ),
    ),
  );
}

async function facet(name, field, where) {
  const res = await api("/v1/query", {
    body: { collection: name, where, group_by: [{ field }], aggregates: [{ fn: "count", alias: "count" }], order: [{ field: "count", desc: true }], limit: 8 },
  });
  const fi = res.columns.indexOf(field) >= 0 ? res.columns.indexOf(field) : 0;
  const ci = res.columns.indexOf("count");
  return res.rows.map((r) => ({ value: r[fi], count: r[ci] }));
}

function collectionList(colls, current) {
  return h(
    "nav",
    { class: "colls", "aria-label": "Collections" },
    h("h2", null, "Collections"),
    h(
      "ul",
      null,
      colls.map((c) =>
        h(
          "li",
          null,
          h(
            "a",
            { href: `#/explore/${encodeURIComponent(c.name)}`, "aria-current": c.name === current ? "page" : null },
            h("span", { class: "coll-name" }, c.name),
            h("span", { class: "muted" }, ` ${c.kind} · ${c.rows === null ? "rows hidden" : `${formatNumber(c.rows)} rows`}`),
          ),
        ),
      ),
    ),
  );
}

function summary(info, tier) {
  const facts = [
    ["kind", info.kind],
    ["key field", info.key_field || "—"],
    ["time field", info.time_field || "—"],
    ["rows", info.rows === null ? "hidden by your row filter" : formatNumber(info.rows)],
    ["schema version", String(info.schema_version)],
  ];
  if (tier) {
    facts.push(["warm", tier.warm_rows === null ? "—" : `${formatNumber(tier.warm_rows)} rows`]);
    facts.push(["cold", tier.cold_rows === null ? "—" : `${formatNumber(tier.cold_rows)} rows in ${tier.cold_segments} segments (${formatBytes(tier.cold_bytes)})`]);
    if (tier.hot_cache) facts.push(["hot cache", `${tier.hot_cache.entries} entries, hit rate ${Math.round((tier.hot_cache.hit_rate || 0) * 100)}%`]);
  }
  return h("dl", { class: "facts summary" }, facts.map(([k, v]) => [h("dt", null, k), h("dd", null, v)]));
}

function schemaTable(info, dists) {
  const rows = info.fields.map((f) =>
    h(
      "tr",
      null,
      h("th", { scope: "row" }, h("code", null, f.field)),
      h("td", null, f.type, f.masked ? h("span", { class: "badge" }, "masked") : null, f.categorical ? h("span", { class: "badge" }, "categorical") : null),
      h("td", null, nullBar(f.null_fraction)),
      h("td", { class: "examples" }, (f.examples || []).map((e) => h("span", { class: "example" }, text(e)))),
      h("td", { "data-dist": f.field }, f.categorical ? distribution(dists[f.field]) : null),
    ),
  );
  return h(
    "div",
    { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Schema" },
    h(
      "table",
      { class: "schema" },
      h("caption", null, `Schema: ${info.fields.length} fields`),
      h("thead", null, h("tr", null, ["field", "type", "null share", "examples", "most common values"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", null, rows),
    ),
  );
}

function filterForm(info, b, refresh) {
  const fieldSel = h("select", { id: "filter-field", "aria-label": "Filter field" }, info.fields.filter((f) => f.type !== "json").map((f) => h("option", { value: f.field }, f.field)));
  const opSel = h("select", { id: "filter-op", "aria-label": "Filter operator" }, OPS.map((o) => h("option", { value: o }, o)));
  const value = h("input", { id: "filter-value", "aria-label": "Filter value", placeholder: "value (a,b,c for in)" });
  const note = h("span", { class: "form-note", "aria-live": "polite" });
  opSel.addEventListener("change", () => {
    value.disabled = NO_VALUE.has(opSel.value);
  });
  const form = h(
    "form",
    {
      class: "filters",
      "aria-label": "Add a filter",
      onsubmit: (e) => {
        e.preventDefault();
        const f = info.fields.find((x) => x.field === fieldSel.value);
        try {
          const filter = { field: f.field, op: opSel.value };
          if (!NO_VALUE.has(filter.op)) filter.value = typedValue(f.type, filter.op, value.value);
          b.filters.push(filter);
          b.page = 0;
          value.value = "";
          refresh();
        } catch (err) {
          note.textContent = err.message;
        }
      },
    },
    fieldSel,
    opSel,
    value,
    h("button", { type: "submit", class: "small" }, "Add filter"),
    note,
  );
  const chips = h(
    "ul",
    { class: "chips", "aria-label": "Active filters" },
    b.filters.map((f, i) =>
      h(
        "li",
        null,
        h(
          "button",
          {
            type: "button",
            class: "chip active",
            "aria-label": `Remove filter ${f.field} ${f.op} ${NO_VALUE.has(f.op) ? "" : text(f.value)}`,
            onclick: () => {
              b.filters.splice(i, 1);
              b.page = 0;
              refresh();
            },
          },
          `${f.field} ${f.op} ${NO_VALUE.has(f.op) ? "" : text(f.value)} ✕`,
        ),
      ),
    ),
  );
  return h("div", null, form, b.filters.length ? chips : null);
}

function facetsPanel(info, b, facets, refresh) {
  // a facet whose values each match one record narrows nothing: leave it out
  const fields = Object.keys(facets).filter((f) => (facets[f] || []).some((v) => v.count > 1));
  if (!fields.length) return null;
  return h(
    "aside",
    { class: "facets", "aria-label": "Facets" },
    h("h3", null, "Facets"),
    fields.map((field) =>
      h(
        "section",
        { class: "facet", "aria-label": `Facet ${field}` },
        h("h4", null, field),
        h(
          "ul",
          null,
          (facets[field] || []).map((v) =>
            h(
              "li",
              null,
              h(
                "button",
                {
                  type: "button",
                  class: "facet-value",
                  onclick: () => {
                    b.filters.push(v.value === null ? { field, op: "is_null" } : { field, op: "=", value: v.value });
                    b.page = 0;
                    refresh();
                  },
                },
                h("span", null, v.value === null ? "null" : text(v.value)),
                h("span", { class: "num muted" }, formatNumber(v.count)),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

async function browser(holder, info) {
  const b = browseOf(info.name);
  const refresh = () => browser(holder, info);
  const where = whereOf(b.filters);
  const spec = { collection: info.name, where, order: b.sort ? [{ field: b.sort.field, desc: b.sort.desc }] : [], limit: b.size, offset: b.page * b.size };
  holder.setAttribute("aria-busy", "true");
  const cats = info.fields.filter((f) => f.categorical && !f.masked).slice(0, MAX_FACETS);
  let page;
  let total = null;
  let facets = {};
  try {
    const [p, count, ...fs] = await Promise.all([
      api("/v1/query", { body: spec }),
      api("/v1/query", { body: { collection: info.name, where, aggregates: [{ fn: "count", alias: "count" }] } }).catch(() => null),
      ...cats.map((f) => facet(info.name, f.field, where).catch(() => null)),
    ]);
    page = p;
    total = count && count.rows.length ? count.rows[0][0] : null;
    cats.forEach((f, i) => {
      if (fs[i]) facets[f.field] = fs[i];
    });
  } catch (err) {
    holder.removeAttribute("aria-busy");
    clear(holder, filterForm(info, b, refresh), problem(err));
    return;
  }
  holder.removeAttribute("aria-busy");
  const pages = total === null ? null : Math.max(1, Math.ceil(total / b.size));
  const keyIdx = info.key_field ? page.columns.indexOf(info.key_field) : -1;
  const sizeSel = h(
    "select",
    {
      "aria-label": "Rows per page",
      onchange: (e) => {
        b.size = Number(e.target.value);
        b.page = 0;
        refresh();
      },
    },
    PAGE_SIZES.map((n) => h("option", { value: String(n), selected: n === b.size }, `${n} per page`)),
  );
  const pager = h(
    "nav",
    { class: "pager", "aria-label": "Pages" },
    h("button", { type: "button", class: "small", id: "prev-page", disabled: b.page === 0, onclick: () => ((b.page -= 1), refresh()) }, "← Previous"),
    h("span", { id: "page-info" }, `Page ${b.page + 1}${pages ? ` of ${pages}` : ""} · ${total === null ? "?" : formatNumber(total)} matching`),
    h("button", { type: "button", class: "small", id: "next-page", disabled: pages ? b.page + 1 >= pages : page.rows.length < b.size, onclick: () => ((b.page += 1), refresh()) }, "Next →"),
    sizeSel,
  );
  // the key column first, so each row links to its record
  let columns = page.columns;
  let rows = page.rows;
  if (keyIdx > 0) {
    columns = [page.columns[keyIdx], ...page.columns.filter((_, i) => i !== keyIdx)];
    rows = page.rows.map((r) => [r[keyIdx], ...r.filter((_, i) => i !== keyIdx)]);
  }
  const link = keyIdx >= 0 ? (row, content) => h("a", { href: `#/explore/${encodeURIComponent(info.name)}/record/${encodeURIComponent(text(row[0]))}`, "aria-label": `Record ${text(row[0])}` }, content) : null;
  const grid = table(columns, rows, {
    caption: `Records of ${info.name}`,
    sort: b.sort,
    rowLink: link,
    className: "records",
    onSort: (field) => {
      b.sort = b.sort && b.sort.field === field ? (b.sort.desc ? null : { field, desc: true }) : { field, desc: false };
      b.page = 0;
      refresh();
    },
  });
  clear(
    holder,
    h("div", { class: "browse" }, h("div", { class: "browse-main" }, filterForm(info, b, refresh), pager, grid, exportBar(() => ({ spec: { ...spec, limit: undefined, offset: 0 } }), info.name)), facetsPanel(info, b, facets, refresh)),
  );
  announce(`Page ${b.page + 1} of ${info.name}`);
  if (!b.filters.length) return facets;
  return null;
}

async function recordView(main, name, key, colls) {
  const back = h("a", { href: `#/explore/${encodeURIComponent(name)}` }, `← ${name}`);
  const box = h("section", { class: "card record", "aria-labelledby": "record-title" }, spinner("Loading the record…"));
  clear(main, h("h1", null, "Explore"), h("div", { class: "explore" }, collectionList(colls, name), h("div", { class: "explore-main" }, back, box)));
  try {
    const record = await api(`/v1/collections/${encodeURIComponent(name)}/records/${encodeURIComponent(key)}`);
    clear(
      box,
      h("h2", { id: "record-title" }, `${name} / ${key}`),
      h(
        "dl",
        { class: "record-fields" },
        Object.entries(record).map(([k, v]) => [h("dt", null, k), h("dd", null, typeof v === "object" && v !== null ? h("pre", null, JSON.stringify(v, null, 2)) : text(v))]),
      ),
      h("details", null, h("summary", null, "As JSON"), h("pre", { class: "json" }, JSON.stringify(record, null, 2))),
    );
  } catch (err) {
    clear(box, h("h2", { id: "record-title" }, `${name} / ${key}`), problem(err));
  }
  box.querySelector("h2")?.setAttribute("tabindex", "-1");
  box.querySelector("h2")?.focus();
}

export const exploreView = {
  reset() {
    state.browse = {};
  },
  async render(main, [name, sub, key]) {
    clear(main, h("h1", null, "Explore"), spinner("Loading collections…"));
    const [colls, tiers] = await Promise.all([api("/v1/collections"), api("/v1/tiers").catch(() => [])]);
    if (!colls.length) {
      clear(main, h("h1", null, "Explore"), h("p", null, "No collections you may read yet. Ingest some records with ", h("code", null, "thermodb ingest"), " or POST /v1/ingest."));
      return;
    }
    if (name && sub === "record" && key !== undefined) return recordView(main, name, key, colls);
    const current = colls.find((c) => c.name === name) || colls[0];
    const panel = h("div", { class: "explore-main" }, spinner(`Loading ${current.name}…`));
    clear(main, h("h1", null, "Explore"), h("div", { class: "explore" }, collectionList(colls, current.name), panel));
    let info;
    try {
      info = await api(`/v1/collections/${encodeURIComponent(current.name)}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      clear(panel, problem(err));
      return;
    }
    const tier = tiers.find((t) => t.collection === info.name);
    const dists = {};
    const schemaHolder = h("div", null, schemaTable(info, dists));
    const recordsHolder = h("section", { class: "records-section", "aria-labelledby": "records-title" }, spinner("Loading records…"));
    const keyForm = info.key_field
      ? h(
          "form",
          {
            class: "row",
            "aria-label": "Open a record by key",
            onsubmit: (e) => {
              e.preventDefault();
              const k = e.target.elements.key.value.trim();
              if (k) location.hash = `#/explore/${encodeURIComponent(info.name)}/record/${encodeURIComponent(k)}`;
            },
          },
          h("label", { for: "record-key" }, `Open a record by ${info.key_field}`),
          h("input", { id: "record-key", name: "key", autocomplete: "off" }),
          h("button", { type: "submit", class: "small" }, "Open"),
        )
      : null;
    clear(
      panel,
      h("h2", { id: "coll-title", tabindex: "-1" }, info.name),
      summary(info, tier),
      h("details", { class: "schema-block", open: true }, h("summary", null, "Schema"), schemaHolder),
      keyForm,
      h("h2", { id: "records-title" }, "Records"),
      recordsHolder,
    );
    const facets = await browser(recordsHolder, info);
    if (facets) {
      Object.assign(dists, facets);
      clear(schemaHolder, schemaTable(info, dists));
    } else {
      // filters are on: the schema's distributions are of the whole collection
      const cats = info.fields.filter((f) => f.categorical && !f.masked).slice(0, MAX_FACETS);
      const fs = await Promise.all(cats.map((f) => facet(info.name, f.field).catch(() => null)));
      cats.forEach((f, i) => fs[i] && (dists[f.field] = fs[i]));
      clear(schemaHolder, schemaTable(info, dists));
    }
    main.dataset.ready = "true";
  },
};
