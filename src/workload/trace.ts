// Trace replay (`--trace FILE --trace-speedup X`): the arrivals of a recorded trace, at their
// recorded offsets divided by the speedup, as an open model, each request asking for the recorded
// lengths. Two shapes are read:
// - JSONL with `timestamp` (ms), `input_length`, `output_length` and optional `hash_ids` (the shape of
//   Mooncake's traces): a hash id names a block of 512 prompt tokens, so requests that share ids share
//   exactly those blocks of prompt text, in the same places;
// - CSV with `Timestamp` (s), `Request tokens` and `Response tokens` columns (the shape of BurstGPT's
//   logs; rows with no response tokens, failed requests in that log, are left out and counted).
// Prompts are synthesised to the recorded lengths; a token is a word (the emulator's count).
import { basename, extname } from "node:path";
import { z } from "zod/v3";
import { given, numberSetting, textSetting, type Settings } from "../config/settings.js";
import type { Problems } from "../config/values.js";
import { mulberry32 } from "../random.js";
import { parseCsv } from "./csv.js";
import { PromptDataset, type DatasetEntry } from "./dataset.js";
import { LineProblems, readInputFile } from "./file-problems.js";
import type { ArrivalPlan } from "./open.js";

/** Prompt tokens one hash id stands for, as in Mooncake's traces. */
export const TRACE_BLOCK_TOKENS = 512;
/** The request type of a trace's requests in by_type. */
export const TRACE_TYPE = "trace";

interface TraceRow {
  line: number;
  offsetMs: number;
  inputLength: number;
  outputLength: number;
  hashIds: number[] | null;
}

export interface LoadedTrace {
  plan: ArrivalPlan;
  /** Entry i is what arrival i asks for. */
  dataset: PromptDataset;
}

const VOCABULARY = (
  "the service answered within budget while the queue grew and the scheduler moved work between " +
  "replicas so that latency stayed low for most users although some requests waited for memory"
).split(" ");

/** The words of hash block `id`: its own first word, then words drawn from a generator seeded by it. */
function blockWords(id: number): string[] {
  const random = mulberry32(0x51ed270b ^ id);
  const words = [`[block-${id}]`];
  while (words.length < TRACE_BLOCK_TOKENS) words.push(VOCABULARY[Math.floor(random() * VOCABULARY.length)]!);
  return words;
}

/** A prompt of exactly `length` words: the hash blocks in order (the last cut short), else words of its own. */
export function synthesisePrompt(length: number, hashIds: readonly number[] | null, line: number): string {
  const words: string[] = [];
  if (hashIds && hashIds.length > 0) {
    for (const id of hashIds) {
      if (words.length >= length) break;
      words.push(...blockWords(id).slice(0, length - words.length));
    }
  }
  // Beyond the blocks (or without any): words no other request has.
  if (words.length < length) {
    const random = mulberry32(0x2545f491 ^ line);
    words.push(`[request-${line}]`);
    while (words.length < length) words.push(VOCABULARY[Math.floor(random() * VOCABULARY.length)]!);
  }
  return words.slice(0, length).join(" ");
}

function positiveInt(value: unknown): number | undefined {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isInteger(n) && n > 0 ? n : undefined;
}

function jsonlRows(text: string, bad: LineProblems): TraceRow[] {
  const rows: TraceRow[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = index + 1;
    if (raw.trim() === "") continue;
    let object: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(index === 0 ? raw.replace(/^\uFEFF/, "") : raw);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
      object = parsed as Record<string, unknown>;
    } catch (err) {
      bad.add(line, `expected a JSON object with timestamp, input_length, output_length (${(err as Error).message})`);
      continue;
    }
    const timestamp = object.timestamp;
    const inputLength = positiveInt(object.input_length);
    const outputLength = positiveInt(object.output_length);
    let ok = true;
    if (typeof timestamp !== "number" || !Number.isFinite(timestamp) || timestamp < 0) ok = fail(bad, line, `timestamp must be a number of ms >= 0 (got ${JSON.stringify(timestamp)})`);
    if (inputLength === undefined) ok = fail(bad, line, `input_length must be a positive integer (got ${JSON.stringify(object.input_length)})`);
    if (outputLength === undefined) ok = fail(bad, line, `output_length must be a positive integer (got ${JSON.stringify(object.output_length)})`);
    let hashIds: number[] | null = null;
    if (object.hash_ids !== undefined) {
      const ids = object.hash_ids;
      if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id) && (id as number) >= 0)) ok = fail(bad, line, "hash_ids must be a list of integers >= 0");
      else hashIds = ids as number[];
    }
    if (ok) rows.push({ line, offsetMs: timestamp as number, inputLength: inputLength!, outputLength: outputLength!, hashIds });
  }
  return rows;
}

function fail(bad: LineProblems, line: number, message: string): false {
  bad.add(line, message);
  return false;
}

function csvRows(text: string, bad: LineProblems): { rows: TraceRow[]; skipped: number } {
  const { records, problems } = parseCsv(text);
  for (const problem of problems) bad.add(problem.line, problem.message);
  const [header, ...body] = records;
  if (!header) return { rows: [], skipped: 0 };
  const columns = header.fields.map((name) => name.trim().toLowerCase());
  const column = (name: string): number => columns.indexOf(name);
  const needed = ["timestamp", "request tokens", "response tokens"];
  const missing = needed.filter((name) => column(name) < 0);
  if (missing.length > 0) {
    bad.add(header.line, `the header needs the columns Timestamp, Request tokens, Response tokens (missing: ${missing.join(", ")})`);
    return { rows: [], skipped: 0 };
  }
  const rows: TraceRow[] = [];
  let skipped = 0;
  for (const record of body) {
    const field = (name: string): string => record.fields[column(name)] ?? "";
    const seconds = Number(field("timestamp"));
    if (field("timestamp").trim() === "" || !Number.isFinite(seconds) || seconds < 0) {
      bad.add(record.line, `Timestamp must be a number of seconds >= 0 (got "${field("timestamp")}")`);
      continue;
    }
    const response = Number(field("response tokens"));
    // A failed request in the log: nothing came back, nothing to replay.
    if (response === 0) {
      skipped++;
      continue;
    }
    const inputLength = positiveInt(field("request tokens"));
    const outputLength = positiveInt(field("response tokens"));
    if (inputLength === undefined || outputLength === undefined) {
      bad.add(record.line, `Request tokens and Response tokens must be positive integers (got "${field("request tokens")}", "${field("response tokens")}")`);
      continue;
    }
    rows.push({ line: record.line, offsetMs: seconds * 1000, inputLength, outputLength, hashIds: null });
  }
  return { rows, skipped };
}

/** Read and check a trace; every problem goes to `problems` (naming file:line) and the result is then null. */
export function loadTrace(file: string, speedup: number, problems: Problems): LoadedTrace | null {
  const kind = extname(file).toLowerCase();
  if (![".jsonl", ".ndjson", ".csv"].includes(kind)) {
    problems.add(`--trace ${file}: unsupported file type (.jsonl: timestamp, input_length, output_length[, hash_ids]; .csv: Timestamp, Request tokens, Response tokens)`);
    return null;
  }
  const text = readInputFile("--trace", file, problems);
  if (text === null) return null;
  const bad = new LineProblems(file);
  const { rows, skipped } = kind === ".csv" ? csvRows(text, bad) : { rows: jsonlRows(text, bad), skipped: 0 };
  for (let i = 1; i < rows.length; i++) {
    if (rows[i]!.offsetMs < rows[i - 1]!.offsetMs) bad.add(rows[i]!.line, "timestamps must not go backwards (sort the trace by time)");
  }
  if (bad.flushInto(problems)) return null;
  if (rows.length === 0) {
    problems.add(`${file}: no requests in the trace`);
    return null;
  }
  const first = rows[0]!.offsetMs;
  const offsets = rows.map((row) => (row.offsetMs - first) / speedup);
  const entries: DatasetEntry[] = rows.map((row) => ({
    prompt: synthesisePrompt(row.inputLength, row.hashIds, row.line),
    messages: null,
    maxTokens: row.outputLength,
    type: TRACE_TYPE,
  }));
  const spanS = (rows[rows.length - 1]!.offsetMs - first) / 1000;
  const shape = kind === ".csv" ? "csv (BurstGPT shape)" : "jsonl (Mooncake shape)";
  const plan: ArrivalPlan = {
    name: "trace",
    describe: () => `trace ${basename(file)}: ${rows.length} requests over ${(spanS / speedup).toFixed(1)} s (x${speedup})`,
    // The last arrival is due at its offset: the plan ends just after it.
    lengthMs: offsets[offsets.length - 1]! + 1,
    schedule: () => offsets,
    toJSON: () => ({ name: "trace", file, shape, requests: rows.length, skipped, speedup, recorded_span_s: spanS }),
  };
  return { plan, dataset: new PromptDataset(file, entries, "arrival") };
}

/** The flags a trace replaces, and so refuses beside it. */
const REPLACED_BY_TRACE = [
  ["pattern", "--pattern"],
  ["dataset", "--dataset"],
  ["prompts", "--prompts"],
  ["prefixTokens", "--prefix-tokens"],
  ["clients", "--clients"],
  ["cycles", "--cycles"],
  ["users", "--users"],
  ["thinkTime", "--think-time"],
] as const;

/** The trace replay's settings (composed in src/config/run-settings.ts). */
export const traceSettings = z.object({
  trace: textSetting("--trace", "replay a trace as an open model: .jsonl {timestamp ms, input_length, output_length, hash_ids} or .csv (Timestamp s, Request tokens, Response tokens)"),
  traceSpeedup: numberSetting("--trace-speedup", "positive", "replay the trace x times faster", 1),
});

/** `--trace FILE --trace-speedup X` from the run's settings; null without --trace. */
export function resolveTrace(
  problems: Problems,
  flags: Settings<typeof traceSettings> & Partial<Record<(typeof REPLACED_BY_TRACE)[number][0], unknown>>,
): LoadedTrace | null {
  if (flags.trace === undefined) {
    if (given(flags, "traceSpeedup")) problems.add("--trace-speedup needs --trace");
    return null;
  }
  for (const [key, flag] of REPLACED_BY_TRACE) {
    if (given(flags, key)) problems.add(`${flag} does not apply with --trace (the trace gives the arrivals and the lengths)`);
  }
  if (given(flags, "traceSpeedup") && flags.traceSpeedup === undefined) return null;
  return loadTrace(flags.trace, flags.traceSpeedup ?? 1, problems);
}
