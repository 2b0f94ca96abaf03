// `tokenstorm overhead` (seed 004): parse and check the flags, start the embedded emulator when no
// --target is given, run measureStreamingOverhead, print the figures and turn the verdict into
// exit code 0 (pass) or 99 (token loss or too much overhead).
import type { Command } from "commander";
import { startEmulatorThread } from "../emulator/worker.js";
import { ExitCode } from "../errors.js";
import { OVERHEAD_ENV, type RawOverheadFlags, resolveOverheadConfig } from "../overhead/config.js";
import { measureStreamingOverhead } from "../overhead/measure.js";
import { OVERHEAD_PROTOCOLS } from "../overhead/options.js";
import { formatOverheadText, overheadReport, writeOverheadReport } from "../overhead/report.js";
import { warmUpDriver } from "../protocols/http/warm-up.js";
import { findProtocol } from "../protocols/registry.js";

/** Where the command writes; tests pass their own. */
export interface OverheadIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export function registerOverheadCommand(program: Command): void {
  program
    .command("overhead")
    .description("measure the overhead a streaming server adds per token; with no --target, against the embedded emulator")
    .option("--target <url>", "base URL of a server emitting one token every --frequency-ms (default: start the embedded emulator)")
    .option("--tokens <n>", "tokens asked for per stream (max_tokens) [default 2048]")
    .option("--frequency-ms <ms>", `the server's interval between tokens [env ${OVERHEAD_ENV.frequencyMs}, default 20]`)
    .option("--max-overhead-ms <ms>", `fail (exit 99) above this overhead per token [env ${OVERHEAD_ENV.maxOverheadMs}, default 3]`)
    .option("--protocol <name>", `protocol driver (${OVERHEAD_PROTOCOLS.join(", ")}) [default ndjson]`)
    .option("--concurrency <n>", "streams measured at once [default 1]")
    .option("--model <name>", "model name sent with each request")
    .option("--timeout <s>", "limit on one whole stream, seconds [default 30 + twice the stream's length]")
    .option("--out <file>", "write every figure as JSON here")
    .option("--quiet", "no progress lines on stderr")
    .action(async (flags: RawOverheadFlags) => {
      process.exitCode = await overheadCommand(flags);
    });
}

/** Run the check; resolves to the exit code. Bad flags throw UsageError, an impossible run RunError. */
export async function overheadCommand(
  flags: RawOverheadFlags,
  io: OverheadIo = process,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const config = resolveOverheadConfig(flags, env);
  const info = (line: string): void => {
    if (!config.quiet) io.stderr.write(`tokenstorm: ${line}\n`);
  };
  const frequencyMs = config.frequencyMs;
  // The embedded emulator keeps time on its own thread, so its timing wheel and our arrival stamps
  // never wait on each other; it starts up while this thread warms the driver.
  const [emulator] = await Promise.all([
    config.target === null
      ? startEmulatorThread({ host: "127.0.0.1", port: 0, ttftMs: frequencyMs, itlMs: frequencyMs, ndjsonCompletions: config.protocol === "ndjson" })
      : null,
    warmUpDriver(findProtocol(config.protocol)),
  ]);
  try {
    const target = emulator?.url ?? config.target!;
    if (emulator) info(`embedded emulator on ${target}, one token every ${frequencyMs} ms`);
    const nominalS = (config.tokens * frequencyMs) / 1000;
    info(`measuring ${config.concurrency} x ${config.tokens} tokens (${config.protocol}) from ${target}, about ${nominalS.toFixed(1)} s`);
    const result = await measureStreamingOverhead({
      target,
      tokens: config.tokens,
      frequencyMs,
      protocol: config.protocol,
      concurrency: config.concurrency,
      model: config.model,
      timeoutMs: config.timeoutS === undefined ? undefined : config.timeoutS * 1000,
    });
    io.stdout.write(formatOverheadText(result, config.maxOverheadMs));
    if (config.out) {
      const settings = { model: config.model, timeout_s: config.timeoutS ?? null, embedded_emulator: emulator !== null };
      await writeOverheadReport(config.out, overheadReport(result, config.maxOverheadMs, settings));
    }
    return result.passed(config.maxOverheadMs) ? ExitCode.ok : ExitCode.thresholdFailed;
  } finally {
    await emulator?.close();
  }
}
