// Which chart an answer gets, from its shape: a time bucket → a line; groups → bars; a
// single row of numbers → big numbers; a listing → the table alone.

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
export const MAX_BARS = 40;

function isNumeric(rows, i) {
  let seen = false;
  for (const r of rows) {
    const v = r[i];
    if (v === null || v === undefined) continue;
    if (typeof v !== "number") return false;
    seen = true;
  }
  return seen;
}

function isTemporal(rows, i) {
  let seen = false;
  for (const r of rows) {
    const v = r[i];
    if (v === null || v === undefined) continue;
    if (typeof v !== "string" || !ISO_DATE.test(v)) return false;
    seen = true;
  }
  return seen;
}

/** The bucket column of a spec, if it groups by a calendar bucket. */
function bucketColumn(spec, columns) {
  const key = (spec?.group_by || []).find((g) => g && g.bucket);
  if (!key) return null;
  const candidates = [key.alias, key.field && `${key.field}_${key.bucket}`, key.bucket, key.field].filter(Boolean);
  return columns.find((c) => candidates.includes(c)) || null;
}

/**
 * {kind, x, y: [columns], series} for an answer {columns, rows, spec?}.
 * kind is "line", "bar", "number" or "table".
 */
export function shapeOf({ columns, rows, spec }) {
  const numeric = columns.map((_, i) => isNumeric(rows, i));
  const temporal = columns.map((_, i) => !numeric[i] && isTemporal(rows, i));
  const numbers = columns.filter((_, i) => numeric[i]);
  const others = columns.filter((_, i) => !numeric[i]);
  const listing = spec && !(spec.aggregates?.length || spec.group_by?.length);
  if (!rows.length || !columns.length) return { kind: "table" };
  if (listing) return { kind: "table" };
  if (rows.length === 1 && numbers.length === columns.length && columns.length <= 4) {
    return { kind: "number", y: numbers };
  }
  if (!numbers.length) return { kind: "table" };
  const bucketed = !spec || (spec.group_by || []).some((g) => g && g.bucket);
  const bucket = bucketColumn(spec, columns) || (bucketed ? columns.find((_, i) => temporal[i]) : null);
  if (bucket && rows.length > 1) {
    const series = others.filter((c) => c !== bucket);
    if (series.length <= 1) return { kind: "line", x: bucket, y: numbers.slice(0, 1), series: series[0] || null };
  }
  if (others.length === 1 && rows.length > 1 && rows.length <= MAX_BARS) {
    return { kind: "bar", x: others[0], y: numbers.slice(0, 1), series: null };
  }
  if (others.length === 2 && rows.length > 1 && rows.length <= MAX_BARS) {
    return { kind: "bar", x: others[0], y: numbers.slice(0, 1), series: others[1] };
  }
  return { kind: "table" };
}

/** A Vega-Lite spec for a line or bar shape; fields renamed so dots in names are safe. */
export function vegaLiteOf(shape, { columns, rows }, width) {
  const idx = (c) => columns.indexOf(c);
  const names = { x: shape.x, y: shape.y[0], s: shape.series };
  const values = rows.map((r) => {
    const o = { x: r[idx(names.x)], y: r[idx(names.y)] };
    if (names.s) o.s = r[idx(names.s)] === null ? "null" : String(r[idx(names.s)]);
    return o;
  });
  const color = names.s ? { color: { field: "s", type: "nominal", title: names.s } } : {};
  const common = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width,
    height: 240,
    data: { values },
    config: {
      font: "system-ui, sans-serif",
      axis: { labelColor: "#334", titleColor: "#223", gridColor: "#e3e6ee" },
      view: { stroke: null },
      range: { category: ["#2f5bd3", "#d4572a", "#2a9d6f", "#8a4fd0", "#c2952b", "#1f8aa8"] },
    },
  };
  if (shape.kind === "line") {
    return {
      ...common,
      description: `Line chart of ${names.y} by ${names.x}`,
      mark: { type: "line", point: { filled: true, size: 40 }, strokeWidth: 2, color: names.s ? undefined : "#2f5bd3" },
      encoding: {
        x: { field: "x", type: "temporal", title: names.x },
        y: { field: "y", type: "quantitative", title: names.y },
        ...color,
      },
    };
  }
  return {
    ...common,
    description: `Bar chart of ${names.y} by ${names.x}`,
    mark: { type: "bar", color: names.s ? undefined : "#2f5bd3", cornerRadiusEnd: 2 },
    encoding: {
      y: { field: "x", type: "nominal", title: names.x, sort: names.s ? null : "-x", axis: { labelLimit: 180 } },
      x: { field: "y", type: "quantitative", title: names.y },
      ...color,
      ...(names.s ? { yOffset: { field: "s" } } : {}),
    },
    height: { step: names.s ? 12 : 22 },
  };
}
