// `cluster up --emulator-args "..."`: the `tokenstorm emulate` flags every emulator instance gets,
// checked by the emulate command's own parser and rules before anything starts, so a bad value is
// one usage error naming its flag, not N processes that exit.
import { Command, CommanderError } from "commander";
import { UsageError } from "../errors.js";
import { emulateOptionsFromFlags, registerEmulateCommand } from "../cli/emulate.js";

/** Flags the cluster sets itself, or that one port per instance behind HAProxy rules out. */
const CLUSTER_OWNED: ReadonlyArray<[flag: string, why: string]> = [
  ["--host", "the cluster's --host sets it"],
  ["--port", "each instance gets a free port"],
  ["--instances", "the cluster's --emulators sets it"],
  ["--grpc-port", "one gRPC port cannot serve every instance"],
  ["--tls-cert", "HAProxy talks plain HTTP/1.1 to the instances"],
  ["--tls-key", "HAProxy talks plain HTTP/1.1 to the instances"],
  ["--tls-client-ca", "HAProxy talks plain HTTP/1.1 to the instances"],
  ["--http2", "HAProxy talks plain HTTP/1.1 to the instances"],
];

/** The words of `--emulator-args`, split on spaces: emulate's flags and values contain none. */
export function emulatorArgWords(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== "");
}

/** Throws a UsageError naming `--emulator-args` and the flag at fault; returns the words to pass on. */
export async function checkEmulatorArgs(text: string): Promise<string[]> {
  const words = emulatorArgWords(text);
  for (const word of words) {
    const flag = word.split("=")[0]!;
    const owned = CLUSTER_OWNED.find(([name]) => name === flag);
    if (owned) throw new UsageError(`--emulator-args: ${flag} is not for cluster emulators (${owned[1]})`);
  }
  const program = new Command().exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  let flags: Record<string, unknown> = {};
  let leftover: string[] = [];
  const emulate = registerEmulateCommand(program).exitOverride();
  emulate.action((parsed: Record<string, unknown>, command: Command) => {
    flags = parsed;
    leftover = command.args;
  });
  try {
    await program.parseAsync(["emulate", ...words], { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) {
      const why = err.code === "commander.helpDisplayed" ? "tokenstorm emulate --help lists the flags it takes" : err.message.replace(/^error: /, "").replace(/\s*\n\(Did you mean (.*)\)$/, " (did you mean $1)");
      throw new UsageError(`--emulator-args: ${why}`);
    }
    throw err;
  }
  if (leftover.length > 0) throw new UsageError(`--emulator-args: "${leftover[0]}" is not a flag of tokenstorm emulate`);
  try {
    emulateOptionsFromFlags(flags as Parameters<typeof emulateOptionsFromFlags>[0]);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`--emulator-args: ${err.message}`);
    throw err;
  }
  return words;
}
