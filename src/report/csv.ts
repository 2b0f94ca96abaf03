// Per-request results as CSV (--csv), streamed like the raw NDJSON output, for spreadsheets and pandas.
import { MEASURED_METRIC_NAMES } from "../metrics/registry.js";
import type { Output } from "./output.js";
import { LineFile } from "./raw.js";
import type { RequestRecord } from "./types.js";

/**
 * Column order of the file. Typed as a record over every RequestRecord key so that a field added to
 * the record fails compilation here until it is given a column. Driver-measured latencies (`measures`,
 * voice runs) get one `<name>_ms` column each after these, when the first record carries them.
 */
const COLUMNS: Record<keyof Omit<RequestRecord, "measures">, true> = {
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

export const CSV_COLUMNS = Object.keys(COLUMNS) as Array<keyof Omit<RequestRecord, "measures">>;
const MEASURED_COLUMNS = MEASURED_METRIC_NAMES.map((name) => `${name}_ms`);

/** RFC 4180: a field holding a comma, quote or line break is quoted, with quotes doubled. */
export function csvField(value: string | number | boolean | null): string {
  if (value === null) return "";
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvRow(record: RequestRecord, withMeasures = false): string {
  const row = CSV_COLUMNS.map((column) => csvField(record[column])).join(",");
  if (!withMeasures) return row;
  return `${row},${MEASURED_METRIC_NAMES.map((name) => csvField(record.measures?.[name] ?? null)).join(",")}`;
}

/** Streams every finished request as one CSV row under a fixed header. */
export class CsvRequestsOutput implements Output {
  readonly name = "csv";
  private readonly file: LineFile;
  /** Decided by the first record: whether the file carries the measured (voice) columns. */
  private withMeasures: boolean | null = null;

  constructor(path: string) {
    this.file = new LineFile(path);
  }

  private writeHeader(withMeasures: boolean): void {
    this.withMeasures = withMeasures;
    this.file.writeLine([...CSV_COLUMNS, ...(withMeasures ? MEASURED_COLUMNS : [])].join(","));
  }

  onRequest(record: RequestRecord): void {
    if (this.withMeasures === null) this.writeHeader(record.measures !== undefined);
    this.file.writeLine(csvRow(record, this.withMeasures!));
  }

  finish(): Promise<void> {
    if (this.withMeasures === null) this.writeHeader(false);
    return this.file.close();
  }
}
