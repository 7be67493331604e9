// A code editor that starts as a plain textarea and becomes CodeMirror once its chunk has
// loaded; the textarea keeps working if it never does.
import { h } from "./dom.js";

let cm = null;
export function loadEditor() {
  cm ||= import("./cm-bundle.js");
  return cm;
}

/** {node, value, ready}: an editor for ``doc`` in ``lang`` ("sql" or "json"). */
export function editor(doc, { lang, label, onRun, schema }) {
  const node = h("div", { class: `editor editor-${lang}`, "data-lang": lang });
  const fallback = h("textarea", { "aria-label": label, rows: String(Math.min(14, doc.split("\n").length + 1)), spellcheck: "false" });
  fallback.value = doc;
  fallback.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      onRun?.();
    }
  });
  node.append(fallback);
  const out = {
    node,
    impl: null,
    get value() {
      return this.impl ? this.impl.value : fallback.value;
    },
    set value(text) {
      if (this.impl) this.impl.value = text;
      else fallback.value = text;
    },
  };
  out.ready = loadEditor().then(({ makeEditor }) => {
    const current = fallback.value;
    fallback.remove();
    out.impl = makeEditor(node, current, { lang, label, onRun, schema });
    return out;
  });
  return out;
}
