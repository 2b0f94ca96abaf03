// The messages between an emulator fleet's primary (fleet.ts) and its workers (fleet-worker.ts).
import type { EmulatorSnapshot } from "./snapshot.js";

export interface FleetLoad {
  running: number;
  waiting: number;
  activePeak: number;
  /** KV-cache tokens held by the running generations. */
  kvTokens: number;
}

export type FromWorker =
  | { type: "listening"; url: string }
  | { type: "failed"; message: string; usage: boolean }
  /** A worker serving /stats, /metrics (collect) or /stats/reset (reset) asks for the whole fleet. */
  | { type: "gather"; id: number; kind: "collect" | "reset" }
  | { type: "snapshot"; gatherId: string; snapshot: EmulatorSnapshot }
  | { type: "reset-done"; gatherId: string }
  | { type: "enter"; id: number; tokens: number }
  | { type: "leave"; id: number };

export type FromPrimary =
  | { type: "collect"; id: string }
  | { type: "reset"; id: string }
  /** The answer to a gather: every worker's snapshot; the shared admission's gauges when there is one. */
  | { type: "gathered"; id: number; snapshots: EmulatorSnapshot[]; admission: FleetLoad | null }
  | ({ type: "entered"; id: number; state: "running" | "waiting" | "rejected" } & FleetLoad)
  | ({ type: "admit"; id: number } & FleetLoad)
  | { type: "close" };
