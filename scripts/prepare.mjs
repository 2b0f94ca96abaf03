// npm's `prepare` step: build, unless the last build is newer than everything the build reads.
// `npm ci` runs it in a fresh clone (no build yet: it builds). `npx tokenstorm` in the project runs it
// again: npm exec installs the project itself into its cache to link the bin, and a full TypeScript
// build there took 15-50 s before the first command answered. Plain JavaScript: it runs before any build.
//
//   node scripts/prepare.mjs           build when stale
//   node scripts/prepare.mjs --check   only say whether the build is stale, and why
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Written by `npm run build` once the whole build has succeeded (package.json). */
const STAMP = join("dist", ".build-stamp");
/** What the build reads: tsconfig.json's `include` folders, and the files that configure it. */
const INPUTS = ["src", "test", "bench", "tsconfig.json", "package.json", "package-lock.json"];

/** The newest file at or under `path`, relative to `root`: { path, mtimeMs }, or null when there is none. */
function newestUnder(root, path) {
  let stat;
  try {
    stat = statSync(join(root, path));
  } catch {
    return null;
  }
  if (!stat.isDirectory()) return { path, mtimeMs: stat.mtimeMs };
  let newest = null;
  for (const entry of readdirSync(join(root, path))) {
    const found = newestUnder(root, join(path, entry));
    if (found && (!newest || found.mtimeMs > newest.mtimeMs)) newest = found;
  }
  return newest;
}

/** Why the build in `root` is stale, or null when it is newer than every input. */
export function staleReason(root) {
  let built;
  try {
    built = statSync(join(root, STAMP)).mtimeMs;
  } catch {
    return `no finished build (${STAMP})`;
  }
  for (const input of INPUTS) {
    const newest = newestUnder(root, input);
    if (newest && newest.mtimeMs > built) return `${newest.path} changed since the last build`;
  }
  return null;
}

const root = process.cwd();
const reason = staleReason(root);
if (process.argv.includes("--check")) {
  process.stdout.write(reason === null ? "up to date\n" : `stale: ${reason}\n`);
} else if (reason === null) {
  process.stdout.write(`tokenstorm: the build in dist/ is up to date (${STAMP}); npm run build rebuilds it\n`);
} else {
  process.stdout.write(`tokenstorm: building (${reason})\n`);
  const build = spawnSync("npm", ["run", "build"], { stdio: "inherit", shell: process.platform === "win32" });
  process.exitCode = build.status ?? 1;
}
