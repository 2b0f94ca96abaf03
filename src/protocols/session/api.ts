// The stateless API node: POST /api/run {session, length, delay} answers at once and then publishes
// lorem ipsum tokens, one publication each, into `session:{uuid}` through the broker, followed by a
// `done` publication. It honours the emulator's hint and failure headers (x-tokenstorm-*), so the
// conformance suite and `run --delay` steer it as they steer the HTTP emulator.
import type { IncomingMessage, ServerResponse } from "node:http";
import { nowMs } from "../../clock.js";
import type { ForcedFailure } from "../../emulator/failures.js";
import { InvalidRequest, readJsonBody, sendJson } from "../../emulator/http.js";
import { parseOverrides } from "../../emulator/overrides.js";
import { pieceSource } from "../../emulator/text.js";
import { requireObject } from "../../emulator/validate.js";
import { type Broker, disconnectMessage, publicationMessage } from "./broker.js";
import type { ScheduledTask, Scheduler } from "./scheduler.js";
import { type DonePayload, DisconnectCode, epochMs, type RunResponse, sessionChannel } from "./wire.js";

export interface ApiDefaults {
  length: number;
  delayMs: number;
  ttftMs: number;
}

export interface ApiStats {
  runs: number;
  active: number;
  tokensPublished: number;
  publishErrors: number;
  rejected: number;
}

const MAX_LENGTH = 1_000_000;
const MAX_DELAY_S = 3600;
const SESSION_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
const word = pieceSource("lorem", [], false);

interface RunPlan {
  session: string;
  length: number;
  ttftMs: number;
  delayMs: number;
  fail: ForcedFailure | undefined;
}

function optionalNumber(body: Record<string, unknown>, key: string, max: number, integer: boolean): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > max || (integer && !Number.isInteger(value))) {
    throw new InvalidRequest(`'${key}' must be ${integer ? "an integer" : "a number"} from ${integer ? 1 : 0} to ${max}`);
  }
  if (integer && value < 1) throw new InvalidRequest(`'${key}' must be an integer from 1 to ${max}`);
  return value;
}

function planRun(body: unknown, req: IncomingMessage, defaults: ApiDefaults): RunPlan {
  const fields = requireObject(body, "request body");
  const session = fields["session"];
  if (typeof session !== "string" || !SESSION_PATTERN.test(session)) {
    throw new InvalidRequest("'session' must be a string of 1 to 128 letters, digits, '-' or '_' (a UUID)");
  }
  const overrides = parseOverrides(req.headers);
  const delayS = optionalNumber(fields, "delay", MAX_DELAY_S, false);
  const ttftS = optionalNumber(fields, "ttft", MAX_DELAY_S, false);
  // The body speaks for the request; the hint headers stand in when it is silent.
  const delayMs = delayS !== undefined ? delayS * 1000 : (overrides.itlMs ?? defaults.delayMs);
  const ttftMs = ttftS !== undefined ? ttftS * 1000 : (overrides.ttftMs ?? (delayS !== undefined ? delayMs : defaults.ttftMs));
  return {
    session,
    length: optionalNumber(fields, "length", MAX_LENGTH, true) ?? defaults.length,
    delayMs,
    ttftMs,
    fail: overrides.fail,
  };
}

function tokenJson(index: number): string {
  return `{"i":${index},"t":${JSON.stringify(word(index))},"ts":${epochMs(nowMs()).toFixed(3)}}`;
}

export class SessionApi {
  private runs = 0;
  private tokensPublished = 0;
  private publishErrors = 0;
  private rejected = 0;
  private readonly active = new Set<ScheduledTask>();

  constructor(
    private readonly broker: Broker,
    private readonly scheduler: Scheduler,
    private readonly defaults: ApiDefaults,
    private readonly onError: (err: unknown) => void,
  ) {}

  stats(): ApiStats {
    return {
      runs: this.runs,
      active: this.active.size,
      tokensPublished: this.tokensPublished,
      publishErrors: this.publishErrors,
      rejected: this.rejected,
    };
  }

  async handleRun(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let plan: RunPlan;
    try {
      plan = planRun(await readJsonBody(req), req, this.defaults);
    } catch (err) {
      this.rejected++;
      throw err;
    }
    if (plan.fail?.kind === "status") {
      this.rejected++;
      throw new InvalidRequest("failure injected by x-tokenstorm-fail", plan.fail.status);
    }
    this.runs++;
    const channel = sessionChannel(plan.session);
    sendJson(res, 200, { session: plan.session, channel, tokens: plan.length } satisfies RunResponse);
    this.generate(channel, plan, nowMs());
  }

  /** Cancel every generation in flight (node shutdown). */
  stop(): void {
    for (const task of this.active) task.cancel();
    this.active.clear();
  }

  private publish(channel: string, message: string): void {
    this.broker.publish(channel, message).catch((err: unknown) => {
      this.publishErrors++;
      this.onError(err);
    });
  }

  private generate(channel: string, plan: RunPlan, startedAt: number): void {
    const half = Math.max(1, Math.floor(plan.length / 2));
    let index = 0;
    let task: ScheduledTask | null = null;
    const finish = (): void => {
      if (task) this.active.delete(task);
    };
    const step = (): void => {
      finish();
      const fail = plan.fail?.kind;
      if (fail === "disconnect" && index === half) {
        this.publish(channel, disconnectMessage(DisconnectCode.forced, "failure injected: disconnect"));
        return;
      }
      if (fail === "truncate" && index === half) {
        this.publish(channel, publicationMessage(JSON.stringify({ done: true, tokens: index } satisfies DonePayload)));
        return;
      }
      if (fail === "stall" && index === 1) return;
      if (index === plan.length) {
        this.publish(channel, publicationMessage(JSON.stringify({ done: true, tokens: index } satisfies DonePayload)));
        return;
      }
      const data = fail === "malformed" && index === half ? `{"i":null,"t":${index}}` : tokenJson(index);
      this.publish(channel, publicationMessage(data));
      this.tokensPublished++;
      index++;
      // The end marker follows the last token at once, as a stream's end does.
      const dueMs = index === plan.length ? nowMs() : startedAt + plan.ttftMs + index * plan.delayMs;
      task = this.scheduler.schedule(dueMs, step);
      this.active.add(task);
    };
    task = this.scheduler.schedule(startedAt + plan.ttftMs, step);
    this.active.add(task);
  }
}
