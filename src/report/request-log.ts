// `--debug`: one line per finished request on stderr as it happens (seed 002's debug output, seed
// 003's per-client lines), so a failing target can be watched request by request.
import type { Output } from "./output.js";
import type { RequestRecord } from "./types.js";

function ms(value: number | null | undefined): string | null {
  return value === null || value === undefined ? null : `${value.toFixed(1)}ms`;
}

export function requestLine(record: RequestRecord): string {
  const head = `[client ${record.client}] request ${record.cycle + 1} ${record.type}`;
  if (!record.ok) return `${head} FAILED ${record.error_class}: ${record.error ?? ""} after ${ms(record.elapsed_ms)}`;
  const figures: Array<[string, string | null]> = [
    ["ttft", ms(record.ttft_ms)],
    ...Object.entries(record.measures ?? {}).map(([name, value]): [string, string | null] => [name, ms(value)]),
    ["e2e", ms(record.e2e_ms)],
  ];
  const shown = figures.filter(([, value]) => value !== null).map(([name, value]) => `${name}=${value}`);
  return `${head} ok ${shown.join(" ")} chunks=${record.chunks}`;
}

export class RequestLogOutput implements Output {
  readonly name = "request-log";

  constructor(private readonly stream: NodeJS.WritableStream = process.stderr) {}

  onRequest(record: RequestRecord): void {
    this.stream.write(`${requestLine(record)}\n`);
  }

  finish(): Promise<void> {
    return Promise.resolve();
  }
}
