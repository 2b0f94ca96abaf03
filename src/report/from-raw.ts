// A report rebuilt from raw request records (--raw NDJSON from `run` or `tokenstorm proxy`), so that
// `tokenstorm report FILE.ndjson --html` draws the same page for a session that only kept its raw
// file. Per-request figures (queue, TTFB, TTFT, TPOT, e2e, tokens, errors) are exact; ITL is not in
// the records gap by gap, so each request contributes its mean gap once per gap. The file is read
// twice, a line at a time: first for starts per second, then in finishing order into the collector
// and its per-second timeline. Nothing per record is kept.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { wallClockIso } from "../clock.js";
import { ErrorClass, UsageError, type ErrorClassName } from "../errors.js";
import { Collector } from "../metrics/collector.js";
import type { MetricSet } from "../metrics/metric-set.js";
import type { MeasuredMetricName } from "../metrics/registry.js";
import { buildReport } from "./build.js";
import type { Report, RequestRecord } from "./types.js";

function isRecord(value: unknown): value is RequestRecord {
  const r = value as Partial<RequestRecord> | null;
  return typeof r === "object" && r !== null && typeof r.id === "number" && typeof r.type === "string" && typeof r.start_ms === "number" && typeof r.ok === "boolean" && typeof r.tokens === "number";
}

/** Each record of the file with its line number; a line that is not a record is a usage error naming it. */
async function* records(path: string): AsyncGenerator<RequestRecord> {
  const stream = createReadStream(path, { encoding: "utf8" });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once("error", (err: NodeJS.ErrnoException) => reject(new UsageError(`${path}: ${err.code === "ENOENT" ? "no such file" : err.message}`)));
  });
  await opened;
  let lineNumber = 0;
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    lineNumber++;
    if (line.trim() === "") continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new UsageError(`${path}:${lineNumber}: invalid JSON`);
    }
    if (!isRecord(parsed)) throw new UsageError(`${path}:${lineNumber}: not a tokenstorm request record (needs id, type, start_ms, ok, tokens)`);
    yield parsed;
  }
}

function endMsOf(record: RequestRecord): number {
  return record.start_ms + (record.e2e_ms ?? record.elapsed_ms ?? 0);
}

/** Fold one record into a metric set the way Collector.finish folds a trace. */
function addTo(set: MetricSet, record: RequestRecord): void {
  set.tokens += record.tokens;
  set.reasoningTokens += record.reasoning_tokens ?? 0;
  set.toolCalls += record.tool_call_count ?? 0;
  if (record.error_class === ErrorClass.cancelled) {
    set.cancelled++;
    return;
  }
  set.requests++;
  if (record.ok) {
    set.successful++;
    set.good++;
  } else set.failed++;
  set.tokensLost += record.tokens_lost ?? 0;
  if (record.tokens_source === "usage") set.usageCounted++;
  else if (record.tokens_source === "tokenizer") set.tokenizerCounted++;
  else set.chunkCounted++;
  const latency = set.latency;
  if (record.queue_ms !== null) latency.queue.recordMs(record.queue_ms);
  if (!record.ok) return;
  if (record.ttfb_ms !== null) latency.ttfb.recordMs(record.ttfb_ms);
  if (record.ttft_ms !== null) latency.ttft.recordMs(record.ttft_ms);
  // Absent in records from before it existed.
  if (typeof record.ttfc_ms === "number") latency.ttfc.recordMs(record.ttfc_ms);
  if (record.tpot_ms !== null) latency.tpot.recordMs(record.tpot_ms);
  if (record.e2e_ms !== null) latency.e2e.recordMs(record.e2e_ms);
  if (record.itl_mean_ms !== null) for (let gap = 1; gap < record.chunks; gap++) latency.itl.recordMs(record.itl_mean_ms);
  for (const [name, ms] of Object.entries(record.measures ?? {})) if (typeof ms === "number") latency[name as MeasuredMetricName].recordMs(ms);
}

export async function reportFromRawFile(path: string): Promise<Report> {
  // Pass 1: starts per second, and when requests began and ended, for the in-flight count.
  const startedBySecond = new Map<number, number>();
  const activeChange = new Map<number, number>();
  let lastEndMs = 0;
  let count = 0;
  for await (const record of records(path)) {
    count++;
    const startSecond = Math.floor(record.start_ms / 1000);
    const endSecond = Math.floor(endMsOf(record) / 1000);
    startedBySecond.set(startSecond, (startedBySecond.get(startSecond) ?? 0) + 1);
    activeChange.set(startSecond, (activeChange.get(startSecond) ?? 0) + 1);
    activeChange.set(endSecond, (activeChange.get(endSecond) ?? 0) - 1);
    lastEndMs = Math.max(lastEndMs, endMsOf(record));
  }
  if (count === 0) throw new UsageError(`${path}: no request records`);

  // Pass 2: every record into the collector's sets, and seconds closed as finishing times pass.
  const collector = new Collector();
  const timeline = collector.timeline;
  let second = 0;
  let active = 0;
  const closeSecondsBefore = (until: number): void => {
    for (; second < until; second++) {
      timeline.started = startedBySecond.get(second) ?? 0;
      active += activeChange.get(second) ?? 0;
      timeline.close(second + 1, active);
    }
  };
  for await (const record of records(path)) {
    closeSecondsBefore(Math.floor(endMsOf(record) / 1000));
    addTo(collector.overall, record);
    addTo(collector.typeSet(record.type), record);
    if (record.turn !== undefined) addTo(collector.turnSet(record.turn), record);
    if (record.error_class === ErrorClass.cancelled) continue;
    if (record.ok) {
      timeline.completed++;
      if (record.ttft_ms !== null) timeline.ttft.recordMs(record.ttft_ms);
      if (record.e2e_ms !== null) timeline.e2e.recordMs(record.e2e_ms);
      if (record.itl_mean_ms !== null) for (let gap = 1; gap < record.chunks; gap++) timeline.itl.recordMs(record.itl_mean_ms);
    } else {
      timeline.failed++;
      const cls = (record.error_class ?? ErrorClass.other) as ErrorClassName;
      collector.errors.set(cls, (collector.errors.get(cls) ?? 0) + 1);
    }
    timeline.tokens += record.tokens;
  }
  closeSecondsBefore(Math.floor(lastEndMs / 1000) + 1);
  const now = wallClockIso();
  const report = buildReport({
    collector,
    config: { source: `raw records: ${path}`, itl: "each request's mean gap (raw records do not keep every gap)" },
    durationS: lastEndMs / 1000,
    interrupted: false,
    startedAtIso: "",
    finishedAtIso: now,
  });
  // Raw records say which turn each request was, not how many turns its conversation was to have.
  delete report.conversations;
  return report;
}
