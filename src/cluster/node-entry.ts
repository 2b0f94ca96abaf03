// Entry point of the node processes `cluster up` starts: the `tokenstorm node` command alone, without
// loading every other command of the CLI, so that a node is up in a fraction of the time.
import { Command } from "commander";
import { registerNodeCommand } from "../cli/node.js";

const program = new Command().name("tokenstorm").exitOverride().configureOutput({ outputError: () => undefined });
registerNodeCommand(program);
program.parseAsync(process.argv).catch((err: unknown) => {
  const usage = (err as { exitCode?: number; code?: string }).code?.startsWith("commander.") || (err as Error).name === "UsageError";
  process.stderr.write(`tokenstorm node: ${(err as Error).message.replace(/^error: /, "")}\n`);
  process.exit(usage ? 2 : 1);
});
