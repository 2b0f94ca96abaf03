// No file under src/ imports itself through a chain of other files, counting type-only imports.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { importCycles, importGraph } from "./helpers/import-graph.js";

const SRC = resolve(fileURLToPath(import.meta.url), "../../../src");

test("src/ has no import cycle, type-only imports included", () => {
  const graph = importGraph(SRC);
  assert.ok(graph.size > 100, `read ${graph.size} files under ${SRC}`);
  const cycles = importCycles(graph);
  assert.deepEqual(cycles, [], `import cycles:\n${cycles.map((cycle) => cycle.join(" <-> ")).join("\n")}`);
});

test("the checker finds a loop made only of type imports and of import(\"x\") types", () => {
  const dir = mkdtempSync(join(tmpdir(), "tokenstorm-cycles-"));
  try {
    writeFileSync(join(dir, "a.ts"), 'import type { B } from "./b.js";\nexport type A = B | 1;\n');
    writeFileSync(join(dir, "b.ts"), 'export type B = import("./c.js").C;\n');
    writeFileSync(join(dir, "c.ts"), 'export type { A as C } from "./a.js";\n');
    writeFileSync(join(dir, "d.ts"), 'export const load = () => import("./a.js");\n');
    assert.deepEqual(importCycles(importGraph(dir)), [["a.ts", "b.ts", "c.ts"]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
