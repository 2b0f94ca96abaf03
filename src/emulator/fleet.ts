// `emulate --workers N`: the emulator on N processes (node:cluster) sharing one port, each with its
// own event loop and timing wheel. The primary serves no traffic: it starts the workers, keeps the
// one admission queue that --max-running / --max-waiting describe (when they are set), and answers
// a worker's /stats, /metrics or /stats/reset by gathering every worker's snapshot.
import cluster, { type Worker } from "node:cluster";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { RunError, UsageError } from "../errors.js";
import { Admission, type AdmissionTicket } from "./admission.js";
import type { FleetLoad, FromPrimary, FromWorker } from "./fleet-messages.js";
import { type EmulatorOptions, resolveOptions } from "./options.js";
import type { EmulatorSnapshot } from "./snapshot.js";

const WORKER_ENTRY = fileURLToPath(new URL("./fleet-worker.js", import.meta.url));
/** Environment variable that hands a worker its options. */
export const FLEET_OPTIONS_ENV = "TOKENSTORM_EMULATOR_OPTIONS";
/** A worker that does not answer a gather within this long is left out of the sum. */
const GATHER_TIMEOUT_MS = 2_000;
const STOP_TIMEOUT_MS = 5_000;

export interface RunningFleet {
  url: string;
  workers: number;
  close(): Promise<void>;
}

/** `auto` is one worker per core this process may use. */
export function fleetSize(raw: string): number | undefined {
  if (raw === "auto") return availableParallelism();
  const value = Number(raw);
  return Number.isInteger(value) && value >= 1 ? value : undefined;
}

/** Whether the workers need one shared admission (and load figure) rather than each its own. */
export function needsSharedAdmission(options: EmulatorOptions): boolean {
  const resolved = resolveOptions(options);
  return resolved.maxRunning > 0 || Number.isFinite(resolved.maxWaiting) || resolved.slowdownUnderLoad > 0 || resolved.kvCacheTokens > 0;
}

export async function startEmulatorFleet(options: EmulatorOptions, workers: number): Promise<RunningFleet> {
  const resolved = resolveOptions(options);
  if (options.grpcPort !== undefined) throw new UsageError("--grpc-port is served by one process: leave out --workers (or use --workers 1)");
  if (options.session) throw new UsageError("--session keeps its subscriptions in one process: leave out --workers (or use --workers 1)");
  const shared = needsSharedAdmission(options) ? new Admission(resolved.maxRunning, resolved.maxWaiting, resolved.kvCacheTokens) : null;
  cluster.setupPrimary({ exec: WORKER_ENTRY, args: [], silent: false });
  const members = Array.from({ length: workers }, () => cluster.fork({ [FLEET_OPTIONS_ENV]: JSON.stringify(options), TOKENSTORM_FLEET_SHARED: shared ? "1" : "" }));
  const tickets = new Map<string, AdmissionTicket>();
  const gathers = new Map<string, { snapshots: EmulatorSnapshot[]; waiting: Set<number>; done: () => void }>();
  let nextGather = 0;
  let stopping = false;

  const send = (worker: Worker, message: FromPrimary): void => {
    if (worker.isConnected()) worker.send(message);
  };
  const load = (): FleetLoad => ({ running: shared?.running ?? 0, waiting: shared?.waiting ?? 0, activePeak: shared?.peakRunning ?? 0, kvTokens: shared?.kvTokens ?? 0 });

  /** Ask every worker for `kind`, then hand the answers to the worker that asked. */
  const gather = (asker: Worker, askId: number, kind: "collect" | "reset"): void => {
    const id = `g${nextGather++}`;
    const alive = members.filter((worker) => worker.isConnected());
    const entry = {
      snapshots: [] as EmulatorSnapshot[],
      waiting: new Set(alive.map((worker) => worker.id)),
      done: () => {
        clearTimeout(timer);
        gathers.delete(id);
        send(asker, { type: "gathered", id: askId, snapshots: entry.snapshots, admission: shared ? load() : null });
      },
    };
    const timer = setTimeout(entry.done, GATHER_TIMEOUT_MS);
    gathers.set(id, entry);
    if (kind === "reset") shared?.resetPeak();
    for (const worker of alive) send(worker, { type: kind, id });
  };

  const onMessage = (worker: Worker, message: FromWorker): void => {
    switch (message.type) {
      case "gather":
        gather(worker, message.id, message.kind);
        return;
      case "snapshot":
      case "reset-done": {
        const entry = gathers.get(message.gatherId);
        if (!entry) return;
        if (message.type === "snapshot") entry.snapshots.push(message.snapshot);
        entry.waiting.delete(worker.id);
        if (entry.waiting.size === 0) entry.done();
        return;
      }
      case "enter": {
        const ticket = shared?.enter(message.tokens);
        const key = `${worker.id}:${message.id}`;
        if (!ticket) {
          send(worker, { type: "entered", id: message.id, state: "rejected", ...load() });
          return;
        }
        tickets.set(key, ticket);
        const waiting = ticket.waiting;
        send(worker, { type: "entered", id: message.id, state: waiting ? "waiting" : "running", ...load() });
        if (waiting) ticket.whenAdmitted(() => send(worker, { type: "admit", id: message.id, ...load() }));
        return;
      }
      case "leave": {
        const key = `${worker.id}:${message.id}`;
        tickets.get(key)?.leave();
        tickets.delete(key);
        return;
      }
      default:
        return;
    }
  };

  const url = await new Promise<string>((resolve, reject) => {
    let listening = 0;
    let first: string | undefined;
    for (const worker of members) {
      worker.on("message", (message: FromWorker) => {
        if (message.type === "listening") {
          first ??= message.url;
          if (++listening === workers) resolve(first);
          return;
        }
        if (message.type === "failed") {
          reject(message.usage ? new UsageError(message.message) : new RunError(message.message));
          return;
        }
        onMessage(worker, message);
      });
      worker.on("exit", (code, signal) => {
        // A worker gone takes its slots with it, and no longer counts towards a gather.
        for (const [key, ticket] of tickets) {
          if (key.startsWith(`${worker.id}:`)) {
            ticket.leave();
            tickets.delete(key);
          }
        }
        for (const entry of gathers.values()) {
          entry.waiting.delete(worker.id);
          if (entry.waiting.size === 0) entry.done();
        }
        if (listening < workers) reject(new RunError(`emulator worker stopped (${signal ?? `exit code ${code}`}) before listening`));
        else if (!stopping) process.stderr.write(`tokenstorm emulator: worker ${worker.id} stopped (${signal ?? `exit code ${code}`}); ${members.filter((m) => m.isConnected()).length} of ${workers} still serve\n`);
      });
    }
  }).catch(async (err: unknown) => {
    stopping = true;
    for (const worker of members) worker.kill();
    throw err;
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      stopping = true;
      shared?.close();
      await Promise.all(
        members.map(
          (worker) =>
            new Promise<void>((resolve) => {
              if (worker.isDead()) {
                resolve();
                return;
              }
              const timer = setTimeout(() => worker.kill("SIGKILL"), STOP_TIMEOUT_MS);
              worker.once("exit", () => {
                clearTimeout(timer);
                resolve();
              });
              send(worker, { type: "close" });
            }),
        ),
      );
    })();
    return closing;
  };
  return { url, workers, close };
}
