// Open-file limits: every connection is a file descriptor, so a process whose soft limit is low
// refuses connections long before the emulator runs out of anything else. Node cannot raise its
// own limit; the user is told the limit and the command that raises it, once at start-up when it is
// low and once more if connections are refused for it.
import { readFileSync } from "node:fs";

/** Below this many, `emulate` says so when it starts. */
const LOW_FILE_LIMIT = 4096;

/** The soft and hard open-file limits of this process, from /proc; null where there is no /proc. */
export function openFileLimits(): { soft: number; hard: number } | null {
  try {
    const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    if (!match) return null;
    const value = (raw: string): number => (raw === "unlimited" ? Infinity : Number(raw));
    return { soft: value(match[1]!), hard: value(match[2]!) };
  } catch {
    return null;
  }
}

export function fileLimitAdvice(limits: { soft: number; hard: number }): string {
  const target = Math.min(limits.hard, 1_048_576);
  const raise = target > limits.soft ? `\`ulimit -n ${target}\` in the shell that starts it` : "raise the hard limit as root (`ulimit -Hn`, /etc/security/limits.conf or systemd's LimitNOFILE) and then `ulimit -n`";
  return `the open-file limit is ${limits.soft}, so at most about ${limits.soft} connections at once; for more, ${raise}`;
}

export function warnOnLowFileLimit(): void {
  const limits = openFileLimits();
  if (limits && limits.soft < LOW_FILE_LIMIT) process.stderr.write(`tokenstorm emulator: ${fileLimitAdvice(limits)}\n`);
}
