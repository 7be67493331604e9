// Builds the console into the Python package (src/thermodb/server/console/), so that
// `pip install thermodb[server]` needs no Node. Run `npm ci && npm run build` here after
// changing anything under src/; the output is committed.
import { build } from "esbuild";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
// THERMODB_CONSOLE_OUT builds elsewhere (the test that the committed build is current)
const out = process.env.THERMODB_CONSOLE_OUT || join(here, "..", "src", "thermodb", "server", "console");
const assets = join(out, "assets");

rmSync(out, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

const result = await build({
  metafile: true,
  entryPoints: [join(here, "src", "main.js")],
  outdir: assets,
  bundle: true,
  splitting: true, // the chart and editor chunks load after first paint
  format: "esm",
  minify: true,
  target: ["chrome110", "firefox115", "safari16"],
  entryNames: "[name]",
  chunkNames: "chunk-[hash]",
  legalComments: "none", // the licences are gathered in THIRD-PARTY-LICENSES.txt
  logLevel: "info",
});
cpSync(join(here, "src", "style.css"), join(assets, "style.css"));
writeFileSync(join(out, "index.html"), readFileSync(join(here, "src", "index.html")));

// Swagger UI for /docs, served by the app (no CDN)
const swagger = join(here, "node_modules", "swagger-ui-dist");
mkdirSync(join(out, "docs"), { recursive: true });
for (const f of ["swagger-ui-bundle.js", "swagger-ui.css"]) {
  cpSync(join(swagger, f), join(out, "docs", f));
}
cpSync(join(here, "src", "docs.html"), join(out, "docs", "index.html"));
cpSync(join(here, "src", "docs-init.js"), join(out, "docs", "init.js"));
// the licence of every npm package that ships inside the Python package
const packages = new Set(["swagger-ui-dist"]);
for (const input of Object.keys(result.metafile.inputs)) {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (m) packages.add(m[1]);
}
const notices = [...packages].sort().map((name) => {
  const dir = join(here, "node_modules", name);
  const meta = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
  const text = file && existsSync(join(dir, file)) ? readFileSync(join(dir, file), "utf8").trim() : "";
  return `${name} ${meta.version} (${meta.license || "see package"})\n\n${text}`;
});
writeFileSync(join(out, "THIRD-PARTY-LICENSES.txt"), notices.join(`\n\n${"-".repeat(72)}\n\n`) + "\n");
writeFileSync(join(out, "__init__.py"), '"""Built web console assets (see console/ at the repo root)."""\n');
console.log(`built into ${out}`);
