// CodeMirror 6 with SQL and JSON highlighting, loaded when a reading is first opened.
import { EditorView, basicSetup } from "codemirror";
import { sql, PostgreSQL } from "@codemirror/lang-sql";
import { json } from "@codemirror/lang-json";
import { keymap } from "@codemirror/view";

/** An editor in ``parent``; ``onRun`` is called on Ctrl/Cmd-Enter. */
export function makeEditor(parent, doc, { lang, label, onRun, schema }) {
  const language = lang === "json" ? json() : sql({ dialect: PostgreSQL, schema: schema || {}, upperCaseKeywords: true });
  const run = keymap.of([{ key: "Mod-Enter", run: () => (onRun?.(), true) }]);
  const view = new EditorView({
    doc,
    parent,
    extensions: [
      run,
      basicSetup,
      language,
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ "aria-label": label, "aria-multiline": "true" }),
    ],
  });
  return {
    get value() {
      return view.state.doc.toString();
    },
    set value(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    focus: () => view.focus(),
    view,
  };
}
