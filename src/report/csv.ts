// Per-request results as CSV (--csv), streamed like the raw NDJSON output, for spreadsheets and pandas.
import { MEASURED_METRIC_NAMES } from "../metrics/registry.js";
import type { Output } from "./output.js";
import { LineFile } from "./raw.js";
import type { RequestRecord } from "./types.js";

/**
 * Column order of the file. Typed as a record over every RequestRecord key so that a field added to
 * the record fails compilation here until it is given a column. A multi-turn run's `turn` and
 * `conversation`, then driver-measured latencies (`measures`, voice runs: one `<name>_ms` column each),
 * follow these when the first record carries them.
 */
type OptionalColumn = "measures" | "turn" | "conversation";
const COLUMNS: Record<keyof Omit<RequestRecord, OptionalColumn>, true> = {
  id: true,
  type: true,
  client: true,
  cycle: true,
  start_ms: true,
  ok: true,
  status: true,
  error_class: true,
  error: true,
  queue_ms: true,
  ttfb_ms: true,
  ttft_ms: true,
  ttfc_ms: true,
  e2e_ms: true,
  elapsed_ms: true,
  tpot_ms: true,
  itl_mean_ms: true,
  tokens: true,
  chunks: true,
  tokens_source: true,
  tokens_expected: true,
  tokens_lost: true,
  prompt_tokens: true,
  reasoning_tokens: true,
  tool_call_count: true,
};

export const CSV_COLUMNS = Object.keys(COLUMNS) as Array<keyof Omit<RequestRecord, OptionalColumn>>;
const TURN_COLUMNS = ["turn", "conversation"] as const;
const MEASURED_COLUMNS = MEASURED_METRIC_NAMES.map((name) => `${name}_ms`);

/** The optional column groups a file carries, decided by its first record. */
interface CsvShape {
  turns: boolean;
  measures: boolean;
}

/** RFC 4180: a field holding a comma, quote or line break is quoted, with quotes doubled. */
export function csvField(value: string | number | boolean | null): string {
  if (value === null) return "";
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvRow(record: RequestRecord, shape: CsvShape = { turns: false, measures: false }): string {
  const fields = CSV_COLUMNS.map((column) => csvField(record[column]));
  if (shape.turns) fields.push(...TURN_COLUMNS.map((column) => csvField(record[column] ?? null)));
  if (shape.measures) fields.push(...MEASURED_METRIC_NAMES.map((name) => csvField(record.measures?.[name] ?? null)));
  return fields.join(",");
}

/** Streams every finished request as one CSV row under a fixed header. */
export class CsvRequestsOutput implements Output {
  readonly name = "csv";
  private readonly file: LineFile;
  /** Decided by the first record: whether the file carries the turn columns and the measured (voice) ones. */
  private shape: CsvShape | null = null;

  constructor(path: string) {
    this.file = new LineFile(path);
  }

  private writeHeader(shape: CsvShape): CsvShape {
    this.shape = shape;
    this.file.writeLine([...CSV_COLUMNS, ...(shape.turns ? TURN_COLUMNS : []), ...(shape.measures ? MEASURED_COLUMNS : [])].join(","));
    return shape;
  }

  onRequest(record: RequestRecord): void {
    const shape = this.shape ?? this.writeHeader({ turns: record.turn !== undefined, measures: record.measures !== undefined });
    this.file.writeLine(csvRow(record, shape));
  }

  finish(): Promise<void> {
    if (this.shape === null) this.writeHeader({ turns: false, measures: false });
    return this.file.close();
  }
}
