// The report as a JSON file (--out): written atomically, so a reader (a CI step, `tokenstorm compare`)
// never sees half a report, and read back with errors that name the file.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { UsageError } from "../errors.js";
import type { Output } from "./output.js";
import type { Report } from "./types.js";

/** Write to a temporary file beside the target, then rename over it (atomic on one file system). */
export async function writeFileAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${randomUUID()}.tmp`;
  try {
    await writeFile(temporary, text);
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

export function writeReportFile(path: string, report: Report): Promise<void> {
  return writeFileAtomically(path, `${JSON.stringify(report, null, 2)}\n`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseJson(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${path}: invalid JSON (${(err as Error).message})`);
  }
}

/** Read a report written by tokenstorm; sections a report may lack (older or partial) default to empty. */
export function readReportFile(path: string): Report {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`${path}: ${code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
  const data = parseJson(path, text);
  const valid =
    isObject(data) &&
    isObject(data["tokenstorm"]) &&
    typeof data["tokenstorm"]["version"] === "string" &&
    isObject(data["summary"]) &&
    isObject(data["latency"]);
  if (!valid) throw new UsageError(`${path}: not a tokenstorm report (needs "tokenstorm.version", "summary" and "latency")`);
  const defaults: Omit<Report, "tokenstorm" | "summary" | "latency"> = {
    config: {},
    by_type: {},
    errors: {},
    thresholds: [],
    timeline: [],
    connections: { opened: 0, failed: 0, retried: 0 },
    histograms: {},
  };
  // The checks above cover what every reader needs; the rest of the shape is trusted as written.
  return { ...defaults, ...(data as Pick<Report, "tokenstorm" | "summary" | "latency">) };
}

/** The `--out` path that means standard output. */
export const STDOUT_PATH = "-";

/** Writes to standard output, resolved once the text is handed to the OS (so the exit does not cut it). */
function writeStdout(text: string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve())));
}

/** Writes the final (or partial) report to a path, or to standard output for `-`, when the run finishes. */
export class JsonReportOutput implements Output {
  readonly name = "json";

  constructor(private readonly path: string) {}

  finish(report: Report): Promise<void> {
    if (this.path === STDOUT_PATH) return writeStdout(`${JSON.stringify(report, null, 2)}\n`);
    return writeReportFile(this.path, report);
  }
}
