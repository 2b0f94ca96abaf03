// The state of a running cluster, one JSON file in its state directory: every process started,
// with pid, port and log file, and the addresses to point `tokenstorm run` at. `status`, `logs`
// and `down` read only this file.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { RunError } from "../errors.js";
import type { ManagedProcess } from "./processes.js";

export const DEFAULT_STATE_DIR = ".tokenstorm-cluster";
const STATE_FILE = "cluster.json";

export interface ClusterEndpoints {
  /** Where a session run's `--target` points: HAProxy's HTTP port, else the first API node ("" without session nodes). */
  http: string;
  /** Where `run --ws-target` points: HAProxy's WebSocket port, else the first gateway ("" without session nodes). */
  ws: string;
  /** Where an LLM run's `--target` points: HAProxy's LLM port, else the first emulator (absent without emulators). */
  llm?: string;
  /** How HAProxy spreads LLM requests over the emulators (`balance` as written in its config). */
  llmBalance?: string;
  /** HAProxy's stats page, when there is a HAProxy. */
  stats: string | null;
}

export interface ClusterState {
  version: 1;
  startedAt: string;
  stateDir: string;
  /** "" when no session nodes run (and so no Redis). */
  redisUrl: string;
  processes: ManagedProcess[];
  endpoints: ClusterEndpoints;
  /** Why there is no load balancer, when there is none. */
  haproxyMissing: string | null;
}

export function stateDirOf(flag: string | undefined): string {
  return resolve(flag ?? DEFAULT_STATE_DIR);
}

export function ensureStateDir(dir: string): void {
  mkdirSync(join(dir, "logs"), { recursive: true });
}

export function readState(dir: string): ClusterState | null {
  const file = join(dir, STATE_FILE);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as ClusterState;
  } catch (err) {
    throw new RunError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

/** Written atomically, so a crash mid-write never leaves a state that loses pids. */
export function writeState(state: ClusterState): void {
  const file = join(state.stateDir, STATE_FILE);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

export function removeState(dir: string): void {
  rmSync(join(dir, STATE_FILE), { force: true });
  // The key dies with the cluster: the next `up` makes a new one.
  rmSync(apiKeyFile(dir), { force: true });
}

export function requireState(dir: string): ClusterState {
  const state = readState(dir);
  if (!state) throw new RunError(`no cluster is up in ${dir} (start one with: tokenstorm cluster up)`);
  return state;
}

/** The cluster's API key, made at `up` and kept (readable by its owner only) beside the state. */
export function apiKeyFile(stateDir: string): string {
  return join(stateDir, "api-key");
}
