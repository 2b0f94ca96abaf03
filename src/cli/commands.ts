// The command table: each command's name, the one line `tokenstorm --help` shows for it, and how to
// load the module that defines it. Only the command being run is loaded, so `--version`, `--help`
// and every command pay only for what they use (no protocol client, Redis or gRPC on start-up).
import type { Command } from "commander";

export interface CommandEntry {
  name: string;
  /** The top-level help line; the loaded command's own description must say the same (a test checks). */
  summary: string;
  hidden?: boolean;
  register(): Promise<(program: Command) => unknown>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: "run", summary: "run a load test (with no --target, against the embedded emulator)", register: async () => (await import("./run.js")).registerRunCommand },
  { name: "scenarios", summary: "list the named scenarios for `run --scenario`: staged users and arrival patterns", register: async () => (await import("./scenarios.js")).registerScenariosCommand },
  { name: "sweep", summary: "find the highest request rate or concurrency that meets SLOs, one short run per step", register: async () => (await import("./sweep.js")).registerSweepCommand },
  { name: "menu", summary: "interactive menu: pick a scenario, target and parameters, see the command, run it", register: async () => (await import("./menu.js")).registerMenuCommand },
  { name: "emulate", summary: "serve emulated OpenAI-compatible, Ollama and NDJSON streaming endpoints and a realtime voice agent (WebSocket /v1/realtime) with exact timing", register: async () => (await import("./emulate.js")).registerEmulateCommand },
  { name: "proxy", summary: "a streaming reverse proxy that measures live traffic (TTFT, ITL, queue) by model and route", register: async () => (await import("./proxy-command.js")).registerProxyCommand },
  { name: "audio", summary: "test audio for voice runs", register: async () => (await import("./audio.js")).registerAudioCommand },
  { name: "overhead", summary: "measure the overhead a streaming server adds per token; with no --target, against the embedded emulator", register: async () => (await import("./overhead.js")).registerOverheadCommand },
  { name: "compare", summary: "compare two saved reports and flag regressions (exit 99)", register: async () => (await import("./compare.js")).registerCompareCommand },
  { name: "merge", summary: "merge the reports of a run's segments into one report (histograms merged, thresholds on the merged data)", register: async () => (await import("./merge.js")).registerMergeCommand },
  { name: "worker", summary: "run segments of distributed runs handed out through Redis by `tokenstorm run --redis URL --expect-workers N`", register: async () => (await import("./worker.js")).registerWorkerCommand },
  { name: "report", summary: "render a saved report JSON as a single-file HTML report with charts", register: async () => (await import("./report.js")).registerReportCommand },
  { name: "cluster", summary: "run the session system here: API and gateway nodes, Redis pub/sub between them, emulated LLM servers, HAProxy in front", register: async () => (await import("./cluster.js")).registerClusterCommand },
  { name: "completion", summary: "print a shell completion script: commands, flags, protocol and scenario names", register: async () => (await import("./completion.js")).registerCompletionCommand },
  { name: "node", summary: "run one session node in the foreground: an API node (POST /api/run), a WebSocket gateway, or both (--role all, the default)", register: async () => (await import("./node.js")).registerNodeCommand },
];

/** The command an argument list names (`help <command>` included); undefined for none or an unknown one. */
export function commandNamed(args: readonly string[]): CommandEntry | undefined {
  const words = args.filter((arg) => !arg.startsWith("-"));
  const name = words[0] === "help" ? words[1] : words[0];
  return COMMANDS.find((entry) => entry.name === name);
}
