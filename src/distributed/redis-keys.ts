// Every Redis key a distributed run uses, in one place: one shared queue of segment invitations, and
// per run (by its id) the plan, the workers' event stream and the controller's control stream.

/** Invitations `{runId, segment}`; each idle worker takes one (BRPOP). */
export const QUEUE_KEY = "tokenstorm:queue";

export function runKeys(runId: string): { plan: string; events: string; control: string } {
  const base = `tokenstorm:run:${runId}`;
  return { plan: `${base}:plan`, events: `${base}:events`, control: `${base}:control` };
}

/** A plan outlives any sensible run setup; keys of a controller that died expire on their own. */
export const PLAN_TTL_S = 24 * 3600;

export interface Invitation {
  runId: string;
  segment: { index: number; count: number };
}

/** What the plan key holds: the plan minus the per-segment parts. */
export interface PublishedPlan {
  runId: string;
  flags: Record<string, unknown>;
  targetHeaders: Record<string, string>;
  /** How often (ms) workers send a heartbeat. */
  heartbeatMs: number;
}

/** Entries of both streams carry one JSON message in field `m`. */
export const MESSAGE_FIELD = "m";

export type ControlMessage = { kind: "start"; atUnixMs: number } | { kind: "stop" } | { kind: "abort" };
