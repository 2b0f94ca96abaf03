// Messages from a `run --workers` parent to its child processes over the IPC channel of fork().
import type { WorkPlan } from "./protocol.js";

export type ParentMessage = { kind: "plan"; plan: WorkPlan } | { kind: "start"; atUnixMs: number } | { kind: "stop" };
