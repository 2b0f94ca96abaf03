// Output files asked for on the command line (--out, --html, --raw, --csv): each checked before the
// run starts, so a path that cannot be written is one line naming its flag instead of a report lost
// after the load was sent; and the final report written somewhere the user is told about when its
// path fails at the end anyway (the folder was removed or the disk filled during the run).
import { randomUUID } from "node:crypto";
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { UsageError } from "../errors.js";
import type { Output } from "./output.js";
import type { Report } from "./types.js";

/** Throws a UsageError naming `flag` unless a file can be created at `path` (as the atomic writers do, beside it). */
export function checkWritable(flag: string, path: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw new Error("it is a directory");
    const probe = `${path}.${randomUUID()}.tmp`;
    writeFileSync(probe, "");
    rmSync(probe);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const file = code === "EEXIST" || code === "ENOTDIR" ? fileInTheWay(path) : null;
    throw new UsageError(`${flag} ${path}: cannot write there (${file ? `${file} is a file, not a folder` : (code ?? (err as Error).message)})`);
  }
}

/** The nearest existing part of `path`'s folders that is not a folder, if one is. */
function fileInTheWay(path: string): string | null {
  for (let folder = dirname(path); folder !== dirname(folder); folder = dirname(folder)) {
    const stats = statSync(folder, { throwIfNoEntry: false });
    if (stats) return stats.isDirectory() ? null : folder;
  }
  return null;
}

export interface FallbackTarget {
  /** The folder the report goes to instead (the run's results folder, made when first needed). */
  folder(): string;
  /** Says where the report went. */
  warn(line: string): void;
}

/**
 * A report file (--out, --html) written at the end: when its path fails, the same file goes into the
 * fallback folder under the same name, and the run is marked as not fully carried out.
 */
export class ReportFileOutput implements Output {
  readonly name: string;
  failed = false;

  constructor(
    private readonly flag: string,
    private readonly path: string,
    private readonly write: (path: string, report: Report) => Promise<void>,
    private readonly fallback: FallbackTarget,
  ) {
    this.name = flag.replace(/^--/, "");
  }

  async finish(report: Report): Promise<void> {
    try {
      await this.write(this.path, report);
    } catch (err) {
      this.failed = true;
      const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      const instead = join(this.fallback.folder(), basename(this.path));
      await this.write(instead, report);
      this.fallback.warn(`tokenstorm: cannot write ${this.flag} ${this.path} (${reason}); the report is in ${instead}`);
    }
  }
}
