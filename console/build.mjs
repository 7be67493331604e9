// Builds the console into the Python package (src/thermodb/server/console/), so that
// `pip install thermodb[server]` needs no Node. Run `npm ci && npm run build` here after
// changing anything under src/; the output is committed.
import { build } from "esbuild";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "src", "thermodb", "server", "console");
const assets = join(out, "assets");

rmSync(out, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

await build({
  entryPoints: [join(here, "src", "main.js")],
  outdir: assets,
  bundle: true,
  splitting: true, // the chart and editor chunks load after first paint
  format: "esm",
  minify: true,
  target: ["chrome110", "firefox115", "safari16"],
  entryNames: "[name]",
  chunkNames: "chunk-[hash]",
  legalComments: "linked",
  logLevel: "info",
});
cpSync(join(here, "src", "style.css"), join(assets, "style.css"));
writeFileSync(join(out, "index.html"), readFileSync(join(here, "src", "index.html")));

// Swagger UI for /docs, served by the app (no CDN)
const swagger = join(here, "node_modules", "swagger-ui-dist");
mkdirSync(join(out, "docs"), { recursive: true });
for (const f of ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE"]) {
  cpSync(join(swagger, f), join(out, "docs", f));
}
cpSync(join(here, "src", "docs.html"), join(out, "docs", "index.html"));
cpSync(join(here, "src", "docs-init.js"), join(out, "docs", "init.js"));
writeFileSync(join(out, "__init__.py"), '"""Built web console assets (see console/ at the repo root)."""\n');
console.log(`built into ${out}`);
