// Runs a tokenstorm command (`emulate`, `proxy`) as a child process and resolves once it listens: for
// benchmarks and tests that must keep the server's CPU apart from the client's.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("../cli/main.js", import.meta.url));

export interface EmulatorProcess {
  url: string;
  child: ChildProcess;
  /** SIGTERM, then resolve when the process has exited. */
  stop(): Promise<void>;
}

/** A tokenstorm command running as a child process, once it has said where it listens. */
export interface ListeningProcess {
  child: ChildProcess;
  /** What `pattern` matched in its output. */
  match: RegExpExecArray;
  /** SIGTERM, then resolve when the process has exited. */
  stop(): Promise<void>;
}

/**
 * Start `tokenstorm <args>` and resolve once `pattern` matches what it wrote to `stream` (where it
 * listens); rejects if it exits before. `cli` is another build's entry point; by default this one's.
 */
export async function spawnListening(args: readonly string[], stream: "stdout" | "stderr", pattern: RegExp, cli = CLI): Promise<ListeningProcess> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", stream === "stdout" ? "pipe" : "ignore", stream === "stderr" ? "pipe" : "inherit"] });
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    let out = "";
    child[stream]!.on("data", (data: Buffer) => {
      out += data.toString();
      const found = pattern.exec(out);
      if (found) resolve(found);
    });
    child.on("exit", (code) => reject(new Error(`tokenstorm ${args[0]} exited with code ${code} before listening${stream === "stderr" ? `: ${out}` : ""}`)));
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return {
    child,
    match,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

/**
 * Start `tokenstorm emulate --port 0 <args>`; rejects if it exits before listening. `cli` is another
 * build's entry point (a benchmark's baseline); by default this one's.
 */
export async function spawnEmulator(args: readonly string[], cli = CLI): Promise<EmulatorProcess> {
  const { child, match, stop } = await spawnListening(["emulate", "--port", "0", ...args], "stdout", /listening on (https?:\/\/\S+)/, cli);
  return { url: match[1]!, child, stop };
}
