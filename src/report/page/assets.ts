// The chart page's inlined assets: uPlot's script and stylesheet from node_modules, and our browser
// modules (client-format, client-charts, client) as compiled by tsc, joined into one classic script.
// Read once per process.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** Browser modules in dependency order; each may import only from the ones before it. */
const CLIENT_MODULES = ["client-format.js", "client-charts.js", "client.js"];

export interface PageAssets {
  uplotScript: string;
  uplotStyle: string;
  clientScript: string;
}

let cached: PageAssets | undefined;

/**
 * Our modules share one scope once joined: their import lines go (the imported names are then
 * in scope), `export` markers go, and the source-map comment goes.
 */
function joinClientModules(): string {
  const bodies = CLIENT_MODULES.map((file) => {
    const code = readFileSync(new URL(`./${file}`, import.meta.url), "utf8");
    return code
      .split("\n")
      .filter((line) => !/^import\s/.test(line) && !/^export \{\s*\};?$/.test(line) && !line.startsWith("//# sourceMappingURL="))
      .map((line) => line.replace(/^export (?=(async )?function |class |const |let )/, ""))
      .join("\n");
  });
  return `(() => {\n"use strict";\n${bodies.join("\n")}\nstartPage();\n})();\n`;
}

export function pageAssets(): PageAssets {
  cached ??= {
    uplotScript: readFileSync(require.resolve("uplot/dist/uPlot.iife.min.js"), "utf8"),
    uplotStyle: readFileSync(require.resolve("uplot/dist/uPlot.min.css"), "utf8"),
    clientScript: joinClientModules(),
  };
  return cached;
}
