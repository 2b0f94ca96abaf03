// `tokenstorm menu`: seed 001's interactive menu. Prompts for a scenario, the target, the protocol and
// a few parameters, shows the exact `tokenstorm run` command, and on confirmation runs it as a child
// process (so what runs is what was shown). Refuses when stdin is not a terminal.
import { spawn } from "node:child_process";
import { createInterface, type Interface } from "node:readline/promises";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { SCENARIOS, type Scenario } from "../config/scenarios.js";
import { parseValue, ValueKinds, type ValueKind } from "../config/values.js";
import { ExitCode, UsageError } from "../errors.js";
import { PROTOCOLS } from "../protocols/registry.js";
import { PATTERN_NAMES } from "../workload/patterns.js";
import { commandLine, menuRunArgs, MONITOR_DEFAULTS, monitorLine, monitorProxyArgs, type MenuAnswers, type MonitorAnswers } from "./menu-command.js";

const CLI_ENTRY = fileURLToPath(new URL("./main.js", import.meta.url));
const CUSTOM = { name: "custom", description: "your own load model and parameters" };
const MONITOR = { name: "monitor", description: "Monitor only: watch live traffic through `tokenstorm proxy` (started here unless one already runs)" };
const DEFAULT_SCENARIO = "quick";
/** Custom tests: the load models one can pick (steps needs a stage list, so it stays a flag). */
const CUSTOM_MODELS = ["closed", "staged", ...PATTERN_NAMES.filter((name) => name !== "steps")];

class MenuCancelled extends Error {}

/** Questions on one readline interface; Ctrl-C or end of input cancels whichever is pending. */
class Prompter {
  private readonly rl: Interface;
  private readonly cancel = new AbortController();

  constructor(private readonly output: NodeJS.WritableStream) {
    this.rl = createInterface({ input: process.stdin, output, terminal: true });
    this.rl.on("SIGINT", () => this.cancel.abort());
    this.rl.on("close", () => this.cancel.abort());
  }

  async ask(question: string, fallback = ""): Promise<string> {
    const shown = fallback === "" ? `${question}: ` : `${question} [${fallback}]: `;
    try {
      const answer = (await this.rl.question(shown, { signal: this.cancel.signal })).trim();
      return answer === "" ? fallback : answer;
    } catch (err) {
      if (this.cancel.signal.aborted) throw new MenuCancelled();
      throw err;
    }
  }

  /** Ask until `problem` finds nothing wrong with the answer. */
  async askValid(question: string, fallback: string, problem: (answer: string) => string | undefined): Promise<string> {
    for (;;) {
      const answer = await this.ask(question, fallback);
      const wrong = problem(answer);
      if (wrong === undefined) return answer;
      this.output.write(`  ${wrong}\n`);
    }
  }

  /** A number of `kind`; empty keeps the fallback, which may itself be empty (the scenario's own value). */
  askNumber(question: string, fallback: string, kind: ValueKind): Promise<string> {
    const { expect } = ValueKinds[kind];
    return this.askValid(question, fallback, (answer) => (answer === "" || parseValue(answer, kind) !== null ? undefined : `must be ${expect}`));
  }

  close(): void {
    this.rl.close();
  }
}

function isHttpUrl(text: string): boolean {
  try {
    return ["http:", "https:"].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

/** An answer equal to the scenario's own value adds nothing to the command. */
/** A scenario's value as the menu offers it (scenarios give text; settings may be numbers). */
function shown(value: string | number | undefined): string | undefined {
  return value === undefined ? undefined : String(value);
}

function changed(answer: string, scenarioValue: string | undefined): string | undefined {
  return answer === "" || answer === scenarioValue ? undefined : answer;
}

function scenarioMenu(): string {
  const entries = [...SCENARIOS, CUSTOM, MONITOR];
  const width = Math.max(...entries.map((e) => e.name.length));
  const lines = entries.map((entry, i) => `  ${String(i + 1).padStart(2)}  ${entry.name.padEnd(width)}  ${entry.description}`);
  return `\ntokenstorm menu: choose a load test\n\n${lines.join("\n")}\n\n`;
}

/** `3`, `quick` or `custom` -> the scenario (null for custom); undefined when it names nothing. */
function pickScenario(answer: string): Scenario | null | undefined {
  const index = /^\d+$/.test(answer) ? Number(answer) - 1 : -1;
  if (index === SCENARIOS.length || answer === CUSTOM.name) return null;
  return SCENARIOS[index] ?? SCENARIOS.find((s) => s.name === answer);
}

type Family = "open" | "staged" | "closed";

async function askLoad(prompt: Prompter, scenario: Scenario | null, answers: MenuAnswers): Promise<void> {
  const preset = scenario?.flags ?? {};
  let family: Family;
  if (scenario) {
    family = preset.users !== undefined ? "staged" : preset.pattern !== undefined ? "open" : "closed";
  } else {
    const model = await prompt.askValid(`Load model (${CUSTOM_MODELS.join(", ")})`, "constant", (a) =>
      CUSTOM_MODELS.includes(a) ? undefined : `choose one of ${CUSTOM_MODELS.join(", ")}`,
    );
    answers.loadModel = model;
    family = model === "closed" || model === "staged" ? model : "open";
  }
  if (family === "open" && (scenario === null || preset.rps !== undefined)) {
    answers.rps = changed(await prompt.askNumber("Rate, requests/s", shown(preset.rps) ?? "10", "positive"), shown(preset.rps));
  } else if (family === "staged") {
    answers.users = changed(await prompt.askNumber("Users", shown(preset.users) ?? "10", "positiveInt"), shown(preset.users));
  } else if (family === "closed") {
    answers.clients = changed(await prompt.askNumber("Clients", shown(preset.clients) ?? "10", "positiveInt"), shown(preset.clients));
  }
  const ownLength = scenario !== null && preset.duration === undefined;
  // Staged users' --duration is their hold between ramp-up and ramp-down.
  const what = family === "staged" ? "Hold, seconds" : "Duration, seconds";
  const durationQuestion = ownLength ? `${what} (empty: the scenario's own length)` : what;
  answers.duration = changed(await prompt.askNumber(durationQuestion, shown(preset.duration) ?? (ownLength ? "" : "60"), "positive"), shown(preset.duration));
  const capQuestion = preset.maxConcurrent === undefined ? "Max concurrent requests (empty: run's default)" : "Max concurrent requests";
  answers.maxConcurrent = changed(await prompt.askNumber(capQuestion, shown(preset.maxConcurrent) ?? "", "positiveInt"), shown(preset.maxConcurrent));
}

function isMonitor(answer: string): boolean {
  return answer === MONITOR.name || answer === String(SCENARIOS.length + 2);
}

async function askMonitor(prompt: Prompter): Promise<MonitorAnswers> {
  const listen = await prompt.askValid("Proxy listens on (host:port)", MONITOR_DEFAULTS.listen, (a) => (/^[^\s]*:\d+$/.test(a) ? undefined : "HOST:PORT"));
  const upstream = await prompt.askValid("Upstream URL (the server the traffic goes to)", MONITOR_DEFAULTS.upstream, (a) => (isHttpUrl(a) ? undefined : "an http:// or https:// URL"));
  const metricsPort = await prompt.askNumber("Prometheus /metrics port", MONITOR_DEFAULTS.metricsPort, "port");
  const maxUpstream = await prompt.askNumber("Max requests upstream at once (empty: no limit)", MONITOR_DEFAULTS.maxUpstream, "positiveInt");
  return { listen, upstream, metricsPort, maxUpstream };
}

/** The /metrics text of a proxy already serving on the port, or null when none answers. */
async function runningProxyMetrics(metricsPort: string): Promise<string | null> {
  try {
    const text = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(1000) }).then((r) => r.text());
    return monitorLine(text) === null ? null : text;
  } catch {
    return null;
  }
}

/** Watch a running proxy: one line every 2 s from its /metrics until Ctrl-C. */
async function watchProxy(metricsPort: string, output: NodeJS.WritableStream): Promise<number> {
  output.write(`A proxy already serves http://127.0.0.1:${metricsPort}/metrics: watching it (Ctrl-C to stop).\n`);
  const stopped = new AbortController();
  const stop = (): void => stopped.abort();
  process.once("SIGINT", stop);
  try {
    while (!stopped.signal.aborted) {
      const text = await runningProxyMetrics(metricsPort);
      output.write(`${new Date().toISOString().slice(11, 19)} ${text === null ? "the proxy stopped answering" : monitorLine(text)}\n`);
      if (text === null) return ExitCode.runFailed;
      // The wait itself keeps the process alive (nothing else may); Ctrl-C ends it at once.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        stopped.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
    }
    return ExitCode.ok;
  } finally {
    process.off("SIGINT", stop);
  }
}

async function askEverything(prompt: Prompter, output: NodeJS.WritableStream): Promise<MenuAnswers | MonitorAnswers> {
  output.write(scenarioMenu());
  const total = SCENARIOS.length + 2;
  const choice = await prompt.askValid("Scenario (number or name)", DEFAULT_SCENARIO, (a) =>
    pickScenario(a) === undefined && !isMonitor(a) ? `choose 1-${total} or a scenario name` : undefined,
  );
  if (isMonitor(choice)) return askMonitor(prompt);
  const scenario = pickScenario(choice)!;
  const answers: MenuAnswers = { scenario: scenario?.name ?? null };
  const target = await prompt.askValid("Target URL (empty: the embedded emulator)", "", (a) =>
    a === "" || isHttpUrl(a) ? undefined : "an http:// or https:// URL, or empty",
  );
  if (target !== "") {
    answers.target = target;
    answers.model = changed(await prompt.ask("Model name (empty: tokenstorm-emulator)"), undefined);
  }
  const protocols = PROTOCOLS.map((p) => p.name);
  const protocol = await prompt.askValid(`Protocol (${protocols.join(", ")})`, protocols[0]!, (a) =>
    protocols.includes(a) ? undefined : `choose one of ${protocols.join(", ")}`,
  );
  answers.protocol = changed(protocol, protocols[0]);
  await askLoad(prompt, scenario, answers);
  answers.out = changed(await prompt.ask("Save the report JSON to (empty: only ./tokenstorm-results/)"), undefined);
  return answers;
}

/** Run `tokenstorm COMMAND ARGS` in a child on this terminal; the child handles Ctrl-C itself. */
function runChild(args: readonly string[], command = "run"): Promise<number> {
  const ignore = (): void => undefined;
  process.on("SIGINT", ignore);
  const child = spawn(process.execPath, [CLI_ENTRY, command, ...args], { stdio: "inherit" });
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      process.off("SIGINT", ignore);
      resolve(code ?? (signal ? 128 + 2 : ExitCode.runFailed));
    });
  });
}

async function menu(): Promise<number> {
  if (!process.stdin.isTTY) {
    throw new UsageError("menu needs an interactive terminal (stdin is not a TTY); use `tokenstorm run --scenario NAME` in scripts");
  }
  const output = process.stdout;
  const prompt = new Prompter(output);
  let args: string[];
  let command = "run";
  try {
    const answers = await askEverything(prompt, output);
    if ("listen" in answers) {
      // "Monitor only": watch the proxy that already runs there, else start one.
      if ((await runningProxyMetrics(answers.metricsPort)) !== null) {
        prompt.close();
        return watchProxy(answers.metricsPort, output);
      }
      command = "proxy";
      args = monitorProxyArgs(answers);
    } else args = menuRunArgs(answers);
    output.write(`\nCommand:\n  ${commandLine(args, command)}\n\n`);
    const confirm = await prompt.askValid("Run it? (y/n)", "y", (a) => (/^(y|yes|n|no)$/i.test(a) ? undefined : "answer y or n"));
    if (/^n/i.test(confirm)) {
      output.write("Nothing was run.\n");
      return ExitCode.ok;
    }
  } catch (err) {
    if (!(err instanceof MenuCancelled)) throw err;
    output.write("\nMenu cancelled; nothing was run.\n");
    return 130;
  } finally {
    prompt.close();
  }
  return runChild(args, command);
}

export function registerMenuCommand(program: Command): Command {
  return program
    .command("menu")
    .description("interactive menu: pick a scenario, target and parameters, see the command, run it")
    .action(async () => {
      process.exitCode = await menu();
    });
}
