// Preloaded with `node --import` into a CLI process under test: records every JavaScript file the
// process loads (ES modules through a loader hook, CommonJS from the require cache at exit) into the
// file named by TOKENSTORM_LOADED_FILES, one path a line.
import { appendFileSync } from "node:fs";
import { createRequire, register } from "node:module";

const out = process.env.TOKENSTORM_LOADED_FILES;
if (out) {
  register(new URL("./load-counter-hooks.js", import.meta.url));
  const require = createRequire(import.meta.url);
  process.on("exit", () => {
    const cache = (require("node:module") as { _cache: Record<string, unknown> })._cache;
    appendFileSync(out, Object.keys(cache).map((path) => `${path}\n`).join(""));
  });
}
