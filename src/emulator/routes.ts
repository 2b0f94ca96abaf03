// The emulator's endpoints and the dispatcher that maps method and path to them. Every refusal is
// an HTTP error in the OpenAI shape; nothing a client sends can crash the process.
import type { IncomingMessage, ServerResponse } from "node:http";
import { arrivalMs } from "../clock.js";
import { parseNdjsonCompletionRequest } from "../protocols/ndjson/emulator.js";
import { parseChatRequest, parseGenerateRequest } from "../protocols/ollama/emulator.js";
import { parseChatCompletionRequest, parseCompletionRequest } from "../protocols/openai/emulator.js";
import type { ModelList } from "../protocols/openai/wire.js";
import type { GenerationRequest } from "./generation.js";
import { InvalidRequest, readJsonBody, sendError, sendJson } from "./http.js";
import type { GenerationEnv } from "./job.js";
import { sendEmulatorMetrics } from "./metrics.js";
import { parseOverrides } from "./overrides.js";
import { serveGeneration } from "./serve-generation.js";
import type { EmulatorStats } from "./stats.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

interface Route {
  method: "GET" | "POST";
  handle: Handler;
}

export type Routes = ReadonlyMap<string, Route>;

function generationRoute(env: GenerationEnv, parse: (body: unknown, req: IncomingMessage) => GenerationRequest): Route {
  return {
    method: "POST",
    handle: async (req, res) => {
      // Stamped before the body is read: the generation's clock starts when the request arrived.
      const receivedAtMs = arrivalMs();
      env.counters.requests++;
      const body = await readJsonBody(req);
      const overrides = parseOverrides(req.headers);
      serveGeneration(env, res, parse(body, req), overrides, receivedAtMs);
    },
  };
}

function wantsNdjson(env: GenerationEnv, req: IncomingMessage): boolean {
  return env.options.ndjsonCompletions || (req.headers.accept ?? "").includes("application/x-ndjson");
}

export function emulatorRoutes(env: GenerationEnv, stats: () => EmulatorStats, resetStats: () => void): Routes {
  const { model } = env.options;
  const createdS = Math.floor(Date.now() / 1000);
  const models: ModelList = { object: "list", data: [{ id: model, object: "model", created: createdS, owned_by: "tokenstorm" }] };
  return new Map<string, Route>([
    ["/v1/chat/completions", generationRoute(env, (body) => parseChatCompletionRequest(body, model))],
    [
      "/v1/completions",
      generationRoute(env, (body, req) =>
        wantsNdjson(env, req) ? parseNdjsonCompletionRequest(body) : parseCompletionRequest(body, model),
      ),
    ],
    ["/api/generate", generationRoute(env, (body) => parseGenerateRequest(body, model))],
    ["/api/chat", generationRoute(env, (body) => parseChatRequest(body, model))],
    ["/v1/models", { method: "GET", handle: (_req, res) => sendJson(res, 200, models) }],
    ["/health", { method: "GET", handle: (_req, res) => sendJson(res, 200, { status: "ok" }) }],
    ["/stats", { method: "GET", handle: (_req, res) => sendJson(res, 200, stats()) }],
    ["/metrics", { method: "GET", handle: (_req, res) => sendEmulatorMetrics(res, env) }],
    // Between the phases of a benchmark: zero the counters and the lateness histogram.
    [
      "/stats/reset",
      {
        method: "POST",
        handle: (_req, res) => {
          resetStats();
          sendJson(res, 200, stats());
        },
      },
    ],
  ]);
}

export async function dispatch(
  routes: Routes,
  req: IncomingMessage,
  res: ServerResponse,
  onInternalError: (err: unknown) => void,
): Promise<void> {
  // A client gone mid-response is handled by each delivery's 'close' listener; the error adds nothing.
  res.on("error", () => undefined);
  req.on("error", () => undefined);
  const path = (req.url ?? "/").split("?", 1)[0]!;
  const route = routes.get(path);
  try {
    if (!route) throw new InvalidRequest(`unknown path: ${req.method} ${path}`, 404);
    if (req.method !== route.method) {
      throw new InvalidRequest(`method ${req.method} not allowed on ${path}`, 405, { Allow: route.method });
    }
    await route.handle(req, res);
  } catch (err) {
    if (res.headersSent) {
      res.destroy();
    } else if (err instanceof InvalidRequest) {
      sendError(res, err.status, err.message, err.headers);
    } else if (!req.destroyed) {
      onInternalError(err);
      sendError(res, 500, "emulator internal error");
    }
  }
}
