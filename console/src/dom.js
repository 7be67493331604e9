// DOM building that can only make text: strings become text nodes, never HTML, so a stored
// value such as "<img src=x onerror=...>" is shown as those characters and never run.

/** h("button", {class: "x", onclick: fn}, "text", child, [more]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "class") {
      el.className = value;
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else if (name === "value") {
      el.value = value;
    } else if (name === "style") {
      for (const [k, v] of Object.entries(value)) el.style.setProperty(k, v);
    } else {
      if (/^(href|src|action|formaction)$/i.test(name) && !safeUrl(String(value))) continue;
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function safeUrl(url) {
  return url.startsWith("#") || url.startsWith("/") || url.startsWith("blob:");
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** A cell value as text: objects as JSON, null as an empty marker. */
export function text(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function cell(value) {
  if (value instanceof Node) return value;
  if (value === null || value === undefined) return h("span", { class: "null" }, "null");
  if (typeof value === "number") return h("span", { class: "num" }, formatNumber(value));
  return text(value);
}

const nf = new Intl.NumberFormat("en", { maximumFractionDigits: 2 });
export function formatNumber(n) {
  if (typeof n !== "number" || !Number.isFinite(n)) return text(n);
  return Number.isInteger(n) && Math.abs(n) >= 1e15 ? String(n) : nf.format(n);
}

export function formatBytes(n) {
  if (n === null || n === undefined) return "—";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(v < 10 && i ? 1 : 0)} ${units[i]}`;
}

/**
 * A table of columns and rows. ``sort`` ({field, desc}) and ``onSort`` make the column
 * headers buttons; ``rowAction(row)`` may return a node for a first cell (a link).
 */
export function table(columns, rows, { caption, sort, onSort, rowLink, className } = {}) {
  const head = h(
    "tr",
    null,
    columns.map((c) => {
      if (!onSort) return h("th", { scope: "col" }, c);
      const active = sort && sort.field === c;
      const label = active ? (sort.desc ? "descending" : "ascending") : "none";
      return h(
        "th",
        { scope: "col", "aria-sort": label },
        h(
          "button",
          {
            type: "button",
            class: "sort",
            onclick: () => onSort(c),
            title: `Sort by ${c}`,
          },
          c,
          h("span", { "aria-hidden": "true" }, active ? (sort.desc ? " ▼" : " ▲") : ""),
        ),
      );
    }),
  );
  const body = rows.map((row) =>
    h(
      "tr",
      null,
      row.map((v, i) => h("td", { class: typeof v === "number" ? "num" : null }, i === 0 && rowLink ? rowLink(row, cell(v)) : cell(v))),
    ),
  );
  return h(
    "div",
    { class: `table-wrap ${className || ""}`, tabindex: "0", role: "region", "aria-label": caption || "table" },
    h("table", null, caption ? h("caption", null, caption) : null, h("thead", null, head), h("tbody", null, body)),
  );
}

let statusTimer = 0;
/** A short message for screen readers and eyes, in the live region. */
export function announce(message) {
  const el = document.getElementById("status");
  if (!el) return;
  el.textContent = message;
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => {
    el.textContent = "";
  }, 6000);
}

/** An error from the API as a readable block: what went wrong, and what to do. */
export function problem(err) {
  const body = (err && err.body) || {};
  return h(
    "div",
    { class: "problem", role: "alert" },
    h("strong", null, err.status ? `${err.status} · ` : "", err.message || String(err)),
    body.hint ? h("p", null, body.hint) : null,
  );
}

export function spinner(label) {
  return h("p", { class: "loading", role: "status" }, h("span", { class: "spin", "aria-hidden": "true" }), label);
}
