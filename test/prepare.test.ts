// npm's `prepare` step (scripts/prepare.mjs): `npx tokenstorm` in the project makes npm install the
// project into its own cache, which runs `prepare` again; a build newer than every input is kept,
// so the first command answers without a TypeScript build. Checked on a small tree of its own.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { tempDir } from "./helpers/cli.js";

const PREPARE = fileURLToPath(new URL("../../scripts/prepare.mjs", import.meta.url));

function check(root: string): string {
  return execFileSync(process.execPath, [PREPARE, "--check"], { cwd: root, encoding: "utf8" }).trim();
}

function touch(path: string, secondsAgo: number): void {
  const at = Date.now() / 1000 - secondsAgo;
  utimesSync(path, at, at);
}

test("prepare builds when there is no finished build or an input is newer than it, and keeps a newer build", () => {
  const root = tempDir();
  try {
    mkdirSync(join(root, "src", "cli"), { recursive: true });
    mkdirSync(join(root, "test"));
    for (const file of ["src/cli/main.ts", "test/a.test.ts", "tsconfig.json", "package.json"]) {
      writeFileSync(join(root, file), "{}");
      touch(join(root, file), 60);
    }
    assert.equal(check(root), "stale: no finished build (dist/.build-stamp)");

    mkdirSync(join(root, "dist"));
    writeFileSync(join(root, "dist", ".build-stamp"), "");
    touch(join(root, "dist", ".build-stamp"), 30);
    assert.equal(check(root), "up to date");

    // A source edited after the build, however deep, makes it stale and is named.
    touch(join(root, "src", "cli", "main.ts"), 10);
    assert.equal(check(root), `stale: ${join("src", "cli", "main.ts")} changed since the last build`);
    touch(join(root, "src", "cli", "main.ts"), 60);
    writeFileSync(join(root, "package-lock.json"), "{}");
    assert.equal(check(root), "stale: package-lock.json changed since the last build");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("npm run build writes its stamp after the compiled CLI: prepare then keeps that build", () => {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const stamp = statSync(join(root, "dist", ".build-stamp")).mtimeMs;
  assert.ok(stamp >= statSync(join(root, "dist", "src", "cli", "main.js")).mtimeMs, "the stamp is older than the build it stands for");
});
