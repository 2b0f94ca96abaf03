// `cluster logs --follow`: the lines each log gains as they are written, prefixed with the process
// name when several logs are followed, until the signal aborts (Ctrl-C). Polled, so it works the same
// on every file system and keeps up with a log that is recreated by a restart.
import { closeSync, openSync, readSync, statSync } from "node:fs";
import type { ManagedProcess } from "./processes.js";

interface Followed {
  name: string;
  path: string;
  offset: number;
  /** A line written in part, kept until its end arrives. */
  partial: string;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function readFrom(path: string, offset: number, length: number): string {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, offset);
    return buffer.subarray(0, read).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes every new complete line of the logs, from `from` (each log's byte offset; default: its end
 * now); resolves once `signal` aborts.
 */
export function followLogs(
  procs: readonly ManagedProcess[],
  write: (text: string) => void,
  signal: AbortSignal,
  from?: readonly number[],
  pollMs = 200,
): Promise<void> {
  const prefix = procs.length > 1;
  const followed: Followed[] = procs.map((proc, i) => ({ name: proc.name, path: proc.log, offset: from?.[i] ?? sizeOf(proc.log), partial: "" }));
  const poll = (): void => {
    for (const log of followed) {
      const size = sizeOf(log.path);
      if (size < log.offset) Object.assign(log, { offset: 0, partial: "" }); // recreated: read it from the start
      if (size === log.offset) continue;
      const text = log.partial + readFrom(log.path, log.offset, size - log.offset);
      log.offset = size;
      const lines = text.split("\n");
      log.partial = lines.pop()!;
      if (lines.length > 0) write(lines.map((line) => `${prefix ? `${log.name} | ` : ""}${line}\n`).join(""));
    }
  };
  return new Promise((resolve) => {
    const timer = setInterval(poll, pollMs);
    const stop = (): void => {
      clearInterval(timer);
      poll();
      resolve();
    };
    if (signal.aborted) stop();
    else signal.addEventListener("abort", stop, { once: true });
  });
}
