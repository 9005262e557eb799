// Copy the front-end packages' distribution files into src/ebsafety/static/vendor/ (served locally).
// Source maps are left out (production pages need none), and so are the comments that point at them:
// collectstatic's manifest storage would otherwise look for the missing .map files.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "src", "ebsafety", "static", "vendor");
const files = [
  ["bootstrap/dist/css/bootstrap.min.css", "bootstrap/bootstrap.min.css"],
  ["bootstrap/dist/js/bootstrap.bundle.min.js", "bootstrap/bootstrap.bundle.min.js"],
  ["htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"],
  ["echarts/dist/echarts.min.js", "echarts/echarts.min.js"],
];
const sourceMapComment = /\n?\/[*/][#@] sourceMappingURL=[^\n]*(\s*\*\/)?\s*$/;
rmSync(vendor, { recursive: true, force: true });
for (const [from, to] of files) {
  const target = join(vendor, to);
  mkdirSync(dirname(target), { recursive: true });
  const text = readFileSync(join(root, "node_modules", from), "utf8");
  writeFileSync(target, text.replace(sourceMapComment, "\n"));
}
console.log(`copied ${files.length} asset files to ${vendor}`);
