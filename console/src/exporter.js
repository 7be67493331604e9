// Export of any result (a QuerySpec or a SQL statement) as CSV, JSON or Parquet: the
// server runs it again under the caller's grants and writes the file.
import { download } from "./api.js";
import { announce, h, problem } from "./dom.js";

const FORMATS = [
  ["csv", "CSV"],
  ["json", "JSON"],
  ["parquet", "Parquet"],
];

/** A small toolbar: "Export: CSV JSON Parquet" for ``source()`` → {spec} or {sql}. */
export function exportBar(source, basename) {
  const note = h("span", { class: "export-note", "aria-live": "polite" });
  const bar = h(
    "div",
    { class: "export", role: "group", "aria-label": "Export this result" },
    h("span", { class: "muted" }, "Export"),
    FORMATS.map(([fmt, label]) =>
      h(
        "button",
        {
          type: "button",
          class: "small",
          "data-format": fmt,
          onclick: async (event) => {
            const button = event.currentTarget;
            button.disabled = true;
            note.replaceChildren();
            try {
              const blob = await download(`/v1/console/export?format=${fmt}`, source(), `${basename || "result"}.${fmt}`);
              note.textContent = `${label}: ${blob.size} bytes`;
              announce(`Exported ${label}`);
            } catch (err) {
              note.replaceChildren(problem(err));
            } finally {
              button.disabled = false;
            }
          },
        },
        label,
      ),
    ),
    note,
  );
  return bar;
}
