// npm's `prepare` step keeps a build newer than every input. `npx tokenstorm` in the project makes
// npm install the project into its own cache, which runs `prepare` again: without this, a second
// full TypeScript build ran before the first command answered. Checked with real npm on a small
// tree whose `build` script only leaves a mark, and with this package's own `prepare` command.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { tempDir } from "./helpers/cli.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const PREPARE = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts["prepare"]!;

function touch(path: string, secondsAgo: number): void {
  const at = Date.now() / 1000 - secondsAgo;
  utimesSync(path, at, at);
}

/** Whether `npm run prepare` in `root` ran the build (the tree's build only leaves a mark). */
function prepareBuilds(root: string): boolean {
  rmSync(join(root, "built"), { force: true });
  execFileSync("npm", ["run", "prepare", "--silent"], { cwd: root, stdio: "ignore" });
  return existsSync(join(root, "built"));
}

test("prepare builds without a finished build or when an input is newer than it, and keeps a newer build", () => {
  const root = tempDir();
  try {
    mkdirSync(join(root, "src", "cli"), { recursive: true });
    mkdirSync(join(root, "test"));
    mkdirSync(join(root, "bench"));
    const build = "node -e \"require('fs').writeFileSync('built', '')\"";
    writeFileSync(join(root, "package.json"), JSON.stringify({ name: "prepare-check", private: true, scripts: { prepare: PREPARE, build } }));
    for (const file of ["src/cli/main.ts", "test/a.test.ts", "bench/run.ts", "tsconfig.json", "package-lock.json", "package.json"]) {
      if (!existsSync(join(root, file))) writeFileSync(join(root, file), "{}");
      touch(join(root, file), 60);
    }
    // Folders count too: a file added or removed changes its folder's time.
    for (const folder of ["src/cli", "src", "test", "bench"]) touch(join(root, folder), 60);
    assert.equal(prepareBuilds(root), true, "no finished build: prepare must build");

    mkdirSync(join(root, "dist"));
    writeFileSync(join(root, "dist", ".build-stamp"), "");
    touch(join(root, "dist", ".build-stamp"), 30);
    assert.equal(prepareBuilds(root), false, "a build newer than every input is kept");

    // A source edited after the build, however deep, or a changed lock file, makes it stale.
    touch(join(root, "src", "cli"), 10);
    assert.equal(prepareBuilds(root), true, "a file added or removed must rebuild");
    touch(join(root, "src", "cli"), 60);
    touch(join(root, "src", "cli", "main.ts"), 10);
    assert.equal(prepareBuilds(root), true, "a newer source must rebuild");
    touch(join(root, "src", "cli", "main.ts"), 60);
    touch(join(root, "package-lock.json"), 10);
    assert.equal(prepareBuilds(root), true, "a newer lock file must rebuild");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("npm run build writes its stamp after the compiled CLI: prepare then keeps that build", () => {
  const stamp = statSync(join(ROOT, "dist", ".build-stamp")).mtimeMs;
  assert.ok(stamp >= statSync(join(ROOT, "dist", "src", "cli", "main.js")).mtimeMs, "the stamp is older than the build it stands for");
});

test("prepare's freshness check looks at every folder the build compiles and at the build's config", () => {
  // tsconfig.json is JSON without comments here; its include is the build's list of inputs.
  const include = (JSON.parse(readFileSync(join(ROOT, "tsconfig.json"), "utf8")) as { include: string[] }).include;
  const watched = /find (.+?) -newer/.exec(PREPARE)?.[1]?.split(" ") ?? [];
  for (const folder of include) assert.ok(watched.includes(folder), `tsconfig.json includes ${folder}, which package.json's prepare does not look at`);
  for (const file of ["tsconfig.json", "package.json", "package-lock.json"]) assert.ok(watched.includes(file), `prepare does not look at ${file}`);
});
