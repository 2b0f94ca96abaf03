// Seed 004's streaming-overhead check as a library call: ask a server that emits one token every
// F ms for N tokens, time every arrival with the ordinary protocol driver, and report how much the
// server's pipeline (queues, schedulers, HTTP layer) adds per token on top of F.
import { nowMs } from "../clock.js";
import { RunError } from "../errors.js";
import { OVERRIDE_HEADERS } from "../emulator/overrides.js";
import { RequestTrace } from "../metrics/trace.js";
import { warmUpDriver } from "../protocols/http/warm-up.js";
import { findProtocol } from "../protocols/registry.js";
import type { RequestSpec } from "../protocols/types.js";
import { type OverheadOptions, resolveOverheadOptions } from "./options.js";
import { type OverheadResult, OverheadTally } from "./result.js";

const REQUEST_TYPE = "overhead";
const PROMPT = "streaming overhead check";
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Measure the overhead a streaming server adds per token.
 *
 * Opens `concurrency` streams at once, each asking for `tokens` tokens, and times every token
 * arrival. Per-token gaps go into one histogram; nothing per token is kept. tokenstorm's emulator
 * is asked (by header) to emit at `frequencyMs`; any other server must be configured to do so.
 *
 * @example
 * ```ts
 * const result = await measureStreamingOverhead({ target: "http://127.0.0.1:8000", tokens: 2048, frequencyMs: 20 });
 * if (!result.passed(3)) throw new Error(result.failures(3).join("; "));
 * ```
 * @returns aggregate figures, the worst stream's figures, and `passed` / `failures` for a limit.
 * @throws UsageError when an option is invalid (the message names it).
 * @throws RunError when no stream got a successful response (refused, HTTP error...).
 */
export async function measureStreamingOverhead(options: OverheadOptions): Promise<OverheadResult> {
  const resolved = resolveOverheadOptions(options);
  const protocol = findProtocol(resolved.protocol);
  // Without warming, undici's parser compilation and the driver's first JIT land in the first gaps.
  await warmUpDriver(protocol);
  const tally = new OverheadTally(resolved.tokens, resolved.frequencyMs);
  const cadence = String(resolved.frequencyMs);
  const driver = protocol.create({
    target: resolved.target,
    model: resolved.model,
    headers: { [OVERRIDE_HEADERS.ttftMs]: cadence, [OVERRIDE_HEADERS.itlMs]: cadence, ...resolved.headers },
    timeoutMs: resolved.timeoutMs,
    idleTimeoutMs: resolved.idleTimeoutMs,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    maxConnections: resolved.concurrency,
    // Loss is counted against the tokens asked for; a usage chunk would only add bytes.
    includeUsage: false,
    exactTokens: false,
    onConnect: () => undefined,
  });
  const spec: RequestSpec = { type: REQUEST_TYPE, prompt: PROMPT, maxTokens: resolved.tokens };
  try {
    await Promise.all(
      Array.from({ length: resolved.concurrency }, async (_, stream) => {
        const trace = new RequestTrace(stream, REQUEST_TYPE, stream, 0, nowMs(), tally.sinks);
        await driver.execute(spec, trace);
        tally.add(trace);
      }),
    );
  } finally {
    await driver.close();
  }
  const target = resolved.target.toString();
  if (!tally.anyAnswered) throw new RunError(`cannot measure ${target}: ${tally.firstFailure ?? "no response"}`);
  return tally.result(target, resolved.protocol);
}
