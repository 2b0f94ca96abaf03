// One worker process of `emulate --workers N` (see fleet.ts): a whole emulator on the shared port,
// whose /stats and /metrics answer for the fleet, and whose admission is the primary's when
// capacity settings are given.
import { UsageError } from "../errors.js";
import type { AdmissionControl, Ticket } from "./admission.js";
import type { FleetLoad, FromPrimary, FromWorker } from "./fleet-messages.js";
import { renderEmulatorMetrics } from "./metrics.js";
import type { EmulatorOptions } from "./options.js";
import type { StatsProvider } from "./routes.js";
import { startEmulator } from "./server.js";
import { statsOf, viewOf, type EmulatorSnapshot, type EmulatorView } from "./snapshot.js";

function send(message: FromWorker): void {
  process.send?.(message);
}

/** A ticket whose slot the primary holds. */
class RemoteTicket implements Ticket {
  private onAdmit: (() => void) | undefined;
  private left = false;

  constructor(
    private readonly id: number,
    private state: "running" | "waiting",
  ) {}

  get waiting(): boolean {
    return this.state === "waiting";
  }

  whenAdmitted(start: () => void): void {
    if (this.state === "running") start();
    else this.onAdmit = start;
  }

  leave(): void {
    if (this.left) return;
    this.left = true;
    this.onAdmit = undefined;
    send({ type: "leave", id: this.id });
  }

  admit(): void {
    this.state = "running";
    const start = this.onAdmit;
    this.onAdmit = undefined;
    if (!this.left) start?.();
  }
}

/** The fleet's one admission queue, kept by the primary; the gauges are its latest word. */
class SharedAdmission implements AdmissionControl {
  private nextId = 0;
  private closed = false;
  private readonly pending = new Map<number, (ticket: Ticket | undefined) => void>();
  private readonly tickets = new Map<number, RemoteTicket>();
  private load: FleetLoad = { running: 0, waiting: 0, activePeak: 0, kvTokens: 0 };

  get running(): number {
    return this.load.running;
  }

  get waiting(): number {
    return this.load.waiting;
  }

  get peakRunning(): number {
    return this.load.activePeak;
  }

  get kvTokens(): number {
    return this.load.kvTokens;
  }

  /** The primary keeps the peak; a fleet's reset restarts it there. */
  resetPeak(): void {}

  enter(tokens: number): Promise<Ticket | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const id = this.nextId++;
    send({ type: "enter", id, tokens });
    return new Promise((resolve) => this.pending.set(id, resolve));
  }

  close(): void {
    this.closed = true;
    for (const resolve of this.pending.values()) resolve(undefined);
    this.pending.clear();
  }

  handle(message: FromPrimary): void {
    if (message.type === "entered") {
      this.load = { running: message.running, waiting: message.waiting, activePeak: message.activePeak, kvTokens: message.kvTokens };
      const resolve = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.state === "rejected") {
        resolve?.(undefined);
        return;
      }
      const ticket = new RemoteTicket(message.id, message.state);
      if (message.state === "waiting") this.tickets.set(message.id, ticket);
      if (resolve) resolve(ticket);
      else ticket.leave();
    } else if (message.type === "admit") {
      this.load = { running: message.running, waiting: message.waiting, activePeak: message.activePeak, kvTokens: message.kvTokens };
      const ticket = this.tickets.get(message.id);
      this.tickets.delete(message.id);
      ticket?.admit();
    }
  }
}

/** /stats, /metrics and /stats/reset for the whole fleet, through the primary. */
class FleetStats implements StatsProvider {
  private nextId = 0;
  private readonly pending = new Map<number, (answer: { snapshots: EmulatorSnapshot[]; admission: FleetLoad | null }) => void>();

  constructor(
    private readonly modelName: string,
    private readonly kvCacheTokens: number,
  ) {}

  private gather(kind: "collect" | "reset"): Promise<{ snapshots: EmulatorSnapshot[]; admission: FleetLoad | null }> {
    const id = this.nextId++;
    send({ type: "gather", id, kind });
    return new Promise((resolve) => this.pending.set(id, resolve));
  }

  private async view(): Promise<EmulatorView & { processes: number }> {
    const { snapshots, admission } = await this.gather("collect");
    const view = viewOf(snapshots);
    if (admission) Object.assign(view, admission);
    return { ...view, processes: snapshots.length };
  }

  async stats() {
    const view = await this.view();
    return { ...statsOf(view), workers: view.processes };
  }

  async metricsText(): Promise<string> {
    return renderEmulatorMetrics(await this.view(), this.modelName, this.kvCacheTokens);
  }

  async reset(): Promise<void> {
    await this.gather("reset");
  }

  handle(message: FromPrimary): void {
    if (message.type !== "gathered") return;
    const resolve = this.pending.get(message.id);
    this.pending.delete(message.id);
    resolve?.({ snapshots: message.snapshots, admission: message.admission });
  }
}

const options = JSON.parse(process.env.TOKENSTORM_EMULATOR_OPTIONS ?? "{}") as EmulatorOptions;
const admission = process.env.TOKENSTORM_FLEET_SHARED ? new SharedAdmission() : undefined;
const fleetStats = new FleetStats(options.model ?? "tokenstorm-emulator", options.kvCacheTokens ?? 0);
// The terminal's Ctrl-C reaches every process of the group: the primary decides when workers stop.
process.on("SIGINT", () => undefined);
process.on("SIGTERM", () => undefined);
// A primary that is gone (killed) leaves nobody to serve for.
process.on("disconnect", () => process.exit(0));

try {
  const emulator = await startEmulator(options, { ...(admission ? { admission } : {}), provider: () => fleetStats });
  process.on("message", (message: FromPrimary) => {
    switch (message.type) {
      case "collect":
        send({ type: "snapshot", gatherId: message.id, snapshot: emulator.snapshot() });
        return;
      case "reset":
        emulator.resetStats();
        send({ type: "reset-done", gatherId: message.id });
        return;
      case "close":
        void emulator.close().then(() => process.exit(0));
        return;
      default:
        admission?.handle(message);
        fleetStats.handle(message);
    }
  });
  send({ type: "listening", url: emulator.url });
} catch (err) {
  send({ type: "failed", message: err instanceof Error ? err.message : String(err), usage: err instanceof UsageError });
  process.exit(1);
}
