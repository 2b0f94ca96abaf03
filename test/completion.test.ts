// `tokenstorm completion bash|zsh|fish`: each script parses in its shell and completes commands, flags,
// protocol and scenario names — bash through its own completion function and compgen, fish through
// `complete -C`, zsh by loading it under compinit. A shell that is not installed is skipped, saying so.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, tempDir } from "./helpers/cli.js";

function hasShell(shell: string): boolean {
  return spawnSync(shell, ["-c", "exit 0"], { stdio: "ignore" }).status === 0;
}

async function script(shell: string): Promise<string> {
  const result = await runCli(["completion", shell], { timeoutMs: 20_000 });
  assert.equal(result.code, 0, result.stderr);
  const path = join(tempDir(), `tokenstorm.${shell}`);
  writeFileSync(path, result.stdout);
  return path;
}

function shell(program: string, args: string[]): string {
  const result = spawnSync(program, args, { encoding: "utf8", timeout: 20_000 });
  assert.equal(result.status, 0, `${program} ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/** The words bash's completion function offers for a command line whose last word is being typed. */
function bashComplete(path: string, line: string[]): string[] {
  const words = line.map((word) => `'${word}'`).join(" ");
  const out = shell("bash", ["-c", `source '${path}'; COMP_WORDS=(${words}); COMP_CWORD=${line.length - 1}; _tokenstorm; printf '%s\\n' "\${COMPREPLY[@]}"`]);
  return out.split("\n").filter(Boolean);
}

test("bash: the script parses and completes commands, flags, protocols and scenarios", async () => {
  const path = await script("bash");
  shell("bash", ["-n", path]);
  assert.ok(bashComplete(path, ["tokenstorm", "run", "--pro"]).includes("--protocol"));
  assert.deepEqual(bashComplete(path, ["tokenstorm", "run", "--protoc"]), ["--protocol"]);
  assert.deepEqual(bashComplete(path, ["tokenstorm", "run", "--protocol", "oll"]), ["ollama-generate", "ollama-chat"]);
  assert.deepEqual(bashComplete(path, ["tokenstorm", "run", "--scenario", "qu"]), ["queue-stress", "quick"]);
  assert.deepEqual(bashComplete(path, ["tokenstorm", "cl"]), ["cluster"]);
  assert.deepEqual(bashComplete(path, ["tokenstorm", "cluster", "l"]), ["logs"]);
  assert.ok(bashComplete(path, ["tokenstorm", "cluster", "logs", "--"]).includes("--follow"));
  assert.deepEqual(bashComplete(path, ["tokenstorm", "completion", "z"]), ["zsh"]);
  // A flag of another command is not offered: emulate's --ttft-ms is not run's.
  assert.ok(!bashComplete(path, ["tokenstorm", "run", "--ttft"]).includes("--ttft-ms"));
});

test("zsh: the script parses and registers for tokenstorm under compinit", async (t) => {
  if (!hasShell("zsh")) {
    t.skip("zsh is not installed (.ci/run installs it)");
    return;
  }
  const path = await script("zsh");
  shell("zsh", ["-n", path]);
  const registered = shell("zsh", ["-fc", `autoload -U compinit; compinit -u -D; source '${path}'; print -r -- \${_comps[tokenstorm]}`]);
  assert.equal(registered.trim(), "_tokenstorm");
});

test("fish: the script parses and completes `tokenstorm run --protoc` to --protocol", async (t) => {
  if (!hasShell("fish")) {
    t.skip("fish is not installed (.ci/run installs it)");
    return;
  }
  const path = await script("fish");
  shell("fish", ["-n", path]);
  const complete = (line: string): string[] =>
    shell("fish", ["-c", `source '${path}'; complete -C '${line}'`])
      .split("\n")
      .filter(Boolean)
      .map((entry) => entry.split("\t")[0]!);
  assert.deepEqual(complete("tokenstorm run --protoc"), ["--protocol"]);
  assert.deepEqual(complete("tokenstorm cluster "), ["down", "logs", "status", "up"]);
  assert.ok(complete("tokenstorm run --protocol ").includes("grpc-voice"));
});

test("an unknown shell is a one-line usage error", async () => {
  const result = await runCli(["completion", "tcsh"], { timeoutMs: 20_000 });
  assert.equal(result.code, 2);
  assert.equal(result.stderr.trim(), 'tokenstorm: completion: unknown shell "tcsh" (known: bash, zsh, fish)');
});
