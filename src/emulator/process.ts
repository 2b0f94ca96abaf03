// Runs `tokenstorm emulate` as a child process and resolves once it listens: for benchmarks and
// tests that must keep the emulator's CPU apart from the client's.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("../cli/main.js", import.meta.url));

export interface EmulatorProcess {
  url: string;
  child: ChildProcess;
  /** SIGTERM, then resolve when the process has exited. */
  stop(): Promise<void>;
}

/**
 * Start `tokenstorm emulate --port 0 <args>`; rejects if it exits before listening. `cli` is another
 * build's entry point (a benchmark's baseline); by default this one's.
 */
export async function spawnEmulator(args: readonly string[], cli = CLI): Promise<EmulatorProcess> {
  const child = spawn(process.execPath, [cli, "emulate", "--port", "0", ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (data: Buffer) => {
      out += data.toString();
      const match = /listening on (https?:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.on("exit", (code) => reject(new Error(`tokenstorm emulate exited with code ${code} before listening`)));
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return {
    url,
    child,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}
