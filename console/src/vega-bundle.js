// Vega and Vega-Lite in one chunk, loaded after first paint. Expressions run through
// vega-interpreter, so charts work under a Content-Security-Policy without 'unsafe-eval'.
import { compile } from "vega-lite";
import { View, parse } from "vega";
import { expressionInterpreter } from "vega-interpreter";

export async function renderChart(container, vlSpec) {
  const vg = compile(vlSpec).spec;
  const view = new View(parse(vg, null, { ast: true }), {
    expr: expressionInterpreter,
    renderer: "svg",
    container,
    hover: true,
  });
  await view.runAsync();
  return view;
}
