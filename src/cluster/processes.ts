// Child processes of a cluster: started detached (they outlive `cluster up`), logging to files, and
// recognised later by their command line, so `cluster down` signals only processes it started
// and never a stranger that reused a pid.
import { spawn } from "node:child_process";
import { accessSync, constants, openSync, closeSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";

/** A process the cluster started, as recorded in its state file. */
export interface ManagedProcess {
  name: string;
  kind: "api" | "gateway" | "emulator" | "redis" | "haproxy";
  pid: number;
  log: string;
  /** Words its command line must contain for it to still be ours (see isOurs). */
  signature: string[];
  /** HTTP base of a node or emulator, redis:// URL of Redis. */
  url?: string;
  port?: number;
}

/** Start `command` detached in its own process group, stdout and stderr written to `logFile`. */
export function spawnDetached(command: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): number {
  // A fresh log per start: `cluster logs` shows this cluster, not an earlier one.
  const fd = openSync(logFile, "w");
  try {
    const child = spawn(command, args, { detached: true, stdio: ["ignore", fd, fd], env });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** A zombie has exited and only waits to be reaped by its parent (init, for detached children). */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return false;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  return !isZombie(pid);
}

/** Alive and still running the command we started (checked on /proc where there is one). */
export function isOurs(proc: ManagedProcess): boolean {
  if (!isAlive(proc.pid)) return false;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${proc.pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    // No /proc (macOS): the pid is all there is to go by.
    return true;
  }
  return proc.signature.every((word) => cmdline.includes(word));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopProcess(proc: ManagedProcess, graceMs = 3_000): Promise<"stopped" | "killed" | "gone" | "not-ours"> {
  if (!isAlive(proc.pid)) return "gone";
  if (!isOurs(proc)) return "not-ours";
  process.kill(proc.pid, "SIGTERM");
  for (let waited = 0; waited < graceMs; waited += 50) {
    if (!isAlive(proc.pid)) return "stopped";
    await sleep(50);
  }
  process.kill(proc.pid, "SIGKILL");
  for (let waited = 0; waited < 2_000 && isAlive(proc.pid); waited += 20) await sleep(20);
  return "killed";
}

/** `count` distinct ports free right now on `host`: all are held open together, then released. */
export async function freePorts(host: string, count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const server = createServer();
      return new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, host, () => resolve(server));
      });
    }),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** A port free right now on `host` (the OS picks it). */
export async function freePort(host: string): Promise<number> {
  return (await freePorts(host, 1))[0]!;
}

/** Full path of an executable on PATH or in the usual system folders, or null. */
export function findExecutable(name: string): string | null {
  const folders = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/usr/local/sbin", "/sbin", "/usr/bin"];
  for (const folder of folders) {
    if (!folder) continue;
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** Poll `check` until it resolves true, the process dies, or `timeoutMs` passes. */
export async function waitUntil(check: () => Promise<boolean>, pid: number, timeoutMs: number): Promise<"ready" | "exited" | "timeout"> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return "ready";
    if (!isAlive(pid)) return "exited";
    await sleep(50);
  }
  return "timeout";
}

/** The last `lines` lines of a log file ("" when there is none). */
export function tailOf(file: string, lines: number): string {
  return tailOfText(readLog(file).toString("utf8"), lines);
}

/** The last `lines` lines of `text`. */
export function tailOfText(text: string, lines: number): string {
  return text.split("\n").slice(-lines - 1).join("\n").trimEnd();
}

/** A log's bytes as they are now; empty when it does not exist (yet). */
export function readLog(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch {
    return Buffer.alloc(0);
  }
}
