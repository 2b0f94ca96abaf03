// Reading a workload file named by a flag (--dataset, --trace) and collecting its bad lines: every
// problem names the file and line, the first few are kept and the rest counted.
import { readFileSync } from "node:fs";
import type { Problems } from "../config/values.js";

// Past this many bad lines the rest is summarised: the first ones show what is wrong with the file.
const MAX_LINE_PROBLEMS = 20;

/** The file's text, or null after a problem naming the flag and why it cannot be read. */
export function readInputFile(flag: string, file: string, problems: Problems): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    problems.add(`${flag}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    return null;
  }
}

/** Collects a file's line problems, keeping the first few and counting the rest. */
export class LineProblems {
  readonly lines: string[] = [];
  private count = 0;

  constructor(private readonly file: string) {}

  add(line: number, message: string): void {
    if (++this.count <= MAX_LINE_PROBLEMS) this.lines.push(`${this.file}:${line}: ${message}`);
  }

  /** A problem placed by what it names rather than by line (an item of a JSON file). */
  addAt(where: string, message: string): void {
    if (++this.count <= MAX_LINE_PROBLEMS) this.lines.push(`${this.file}: ${where}: ${message}`);
  }

  flushInto(problems: Problems): boolean {
    for (const line of this.lines) problems.add(line);
    if (this.count > MAX_LINE_PROBLEMS) problems.add(`${this.file}: ${this.count - MAX_LINE_PROBLEMS} more bad lines`);
    return this.count > 0;
  }
}
