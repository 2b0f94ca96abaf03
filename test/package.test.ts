// The package as a user gets it: `npm pack`, the tarball installed into an empty folder (offline, from
// the npm cache that installing this repository filled), `npx tokenstorm run` there, the API imported
// from ESM and from CommonJS, and a TypeScript consumer type-checked against the shipped declarations.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { tempDir } from "./helpers/cli.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
const run = promisify(execFile);

async function sh(command: string, args: string[], cwd: string, timeoutMs = 180_000): Promise<string> {
  try {
    const { stdout } = await run(command, args, { cwd, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: "1" } });
    return stdout;
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    assert.fail(`${command} ${args.join(" ")} failed: ${(err as Error).message}\n${stdout ?? ""}\n${stderr ?? ""}`);
  }
}

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dev?: boolean;
  dependencies?: Record<string, string>;
  bin?: Record<string, string>;
}

/**
 * An empty project depending on the tarball, with a lockfile: the tarball's entry and this repository's
 * locked dependency versions (dev ones left out). Without network the registry cannot be asked which
 * versions match a range, and `npm ci` needs no such question: every tarball it fetches is in the
 * npm cache that installing this repository filled.
 */
function writeConsumer(app: string, tarball: string, integrity: string): void {
  const name = basename(tarball);
  copyFileSync(tarball, join(app, name));
  const ours = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string; dependencies: Record<string, string>; bin: Record<string, string> };
  const packages: Record<string, LockEntry> = {
    "": { dependencies: { tokenstorm: `file:${name}` } },
    "node_modules/tokenstorm": { version: manifest.version, resolved: `file:${name}`, integrity, dependencies: manifest.dependencies, bin: manifest.bin },
  };
  for (const [path, entry] of Object.entries(ours.packages)) if (path !== "" && !entry.dev) packages[path] = entry;
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true, dependencies: { tokenstorm: `file:${name}` } }));
  writeFileSync(join(app, "package-lock.json"), JSON.stringify({ name: "consumer", version: "1.0.0", lockfileVersion: 3, requires: true, packages }, null, 2));
}

test("npm pack: the tarball installs offline, runs, imports from ESM and CommonJS, and type-checks", { timeout: 600_000 }, async () => {
  const packDir = tempDir();
  // --ignore-scripts: the tests run from this build; `prepare` would rebuild it under them.
  const packed = JSON.parse(await sh("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", packDir], ROOT)) as Array<{ filename: string; integrity: string; files: Array<{ path: string }> }>;
  const files = packed[0]!.files.map((file) => file.path);
  assert.ok(files.includes("LICENSE") && files.includes("dist/src/cli/main.js") && files.includes("dist/src/index.d.ts") && files.includes("proto/voice/v1/voice.proto"));
  assert.deepEqual(files.filter((path) => path.endsWith(".map")), [], "no source maps without their sources");
  assert.deepEqual(files.filter((path) => /^(src|test|bench)\//.test(path)), [], "only the build goes out");
  const tarball = join(packDir, packed[0]!.filename);

  const app = tempDir();
  writeConsumer(app, tarball, packed[0]!.integrity);
  await sh("npm", ["ci", "--offline", "--no-audit", "--no-fund", "--ignore-scripts"], app);
  const installed = JSON.parse(readFileSync(join(app, "node_modules/tokenstorm/package.json"), "utf8")) as { engines: { node: string }; license: string };
  assert.equal(installed.engines.node, ">=20.19", "require() of the package works from Node 20.19 on");
  assert.match(readFileSync(join(app, "node_modules/tokenstorm/LICENSE"), "utf8"), new RegExp(`^${installed.license} License`));

  // The command line, as the README's quick start has it (the embedded emulator, nothing else reached).
  const report = JSON.parse(await sh("npx", ["--no", "tokenstorm", "run", "--clients", "2", "--cycles", "2", "--out", "-", "--quiet", "--no-save"], app)) as {
    summary: { requests: number; successful: number };
  };
  assert.deepEqual([report.summary.requests, report.summary.successful], [4, 4]);

  // The API from an ES module and from CommonJS: an emulator, and a run against it.
  const program = (load: string): string => `
    ${load}
    (async () => {
      const emulator = await startEmulator({ port: 0, ttftMs: 1, itlMs: 1 });
      const { report } = await runLoadTest(loadTestConfig({ target: emulator.url, clients: 2, cycles: 1, flags: { length: "3" } }));
      await emulator.close();
      process.stdout.write(JSON.stringify([typeof PROTOCOLS[0].name, report.summary.successful]));
    })();`;
  writeFileSync(join(app, "esm.mjs"), program(`import { startEmulator, runLoadTest, loadTestConfig, PROTOCOLS } from "tokenstorm";`));
  writeFileSync(join(app, "cjs.cjs"), program(`const { startEmulator, runLoadTest, loadTestConfig, PROTOCOLS } = require("tokenstorm");`));
  assert.equal(await sh(process.execPath, ["esm.mjs"], app), '["string",2]');
  assert.equal(await sh(process.execPath, ["cjs.cjs"], app), '["string",2]');

  // A TypeScript consumer against the shipped declarations, strict, as a NodeNext project sees them.
  writeFileSync(
    join(app, "consumer.ts"),
    [
      `import { loadTestConfig, runLoadTest, startEmulator, type Report, type RunConfig } from "tokenstorm";`,
      `const config: RunConfig = loadTestConfig({ clients: 2, cycles: 1, thresholds: ["ttft.p95<2500ms"] });`,
      `export async function successRate(): Promise<number> {`,
      `  const emulator = await startEmulator({ port: 0 });`,
      `  const { report }: { report: Report } = await runLoadTest({ ...config, target: emulator.url });`,
      `  await emulator.close();`,
      `  return report.summary.success_rate;`,
      `}`,
      // A wrong use must be an error: the declarations are really read.
      `// @ts-expect-error clients is a number`,
      `loadTestConfig({ clients: "2" });`,
    ].join("\n"),
  );
  writeFileSync(
    join(app, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true, noEmit: true, types: ["node"], typeRoots: [join(ROOT, "node_modules/@types")] },
      files: ["consumer.ts"],
    }),
  );
  await sh(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], app);
});
