// The emulator's endpoints and the dispatcher that maps method and path to them. Every refusal is
// an HTTP error in the OpenAI shape, or in the route's own protocol's (Anthropic's on /v1/messages);
// nothing a client sends can crash the process.
import type { IncomingMessage, ServerResponse } from "node:http";
import { arrivalMs } from "../clock.js";
import { parseMessagesRequest } from "../protocols/anthropic/emulator.js";
import { anthropicError } from "../protocols/anthropic/wire.js";
import { parseNdjsonCompletionRequest } from "../protocols/ndjson/emulator.js";
import { parseChatRequest, parseGenerateRequest } from "../protocols/ollama/emulator.js";
import { ollamaError } from "../protocols/ollama/wire.js";
import { parseChatCompletionRequest, parseCompletionRequest } from "../protocols/openai/emulator.js";
import { parseResponsesRequest } from "../protocols/openai/responses-emulator.js";
import { parseEmbeddingsRequest } from "../protocols/openai/embeddings-emulator.js";
import type { ModelList } from "../protocols/openai/wire.js";
import type { ErrorBodyShape, GenerationRequest } from "./generation.js";
import { InvalidRequest, readJsonBody, sendError, sendJson } from "./http.js";
import type { GenerationEnv } from "./job.js";
import { sendMetricsText } from "./metrics.js";
import { parseOverrides } from "./overrides.js";
import { serveGeneration } from "./serve-generation.js";
import type { EmulatorStats } from "./stats.js";

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** What /stats, /metrics and /stats/reset read and do: this process's emulator, or a fleet's sum. */
export interface StatsProvider {
  stats(): EmulatorStats | Promise<EmulatorStats>;
  metricsText(): string | Promise<string>;
  reset(): void | Promise<void>;
}

export interface Route {
  method: "GET" | "POST";
  handle: Handler;
  /** The shape of this route's error bodies; absent: OpenAI's. */
  errorBody?: ErrorBodyShape;
}

export type Routes = ReadonlyMap<string, Route>;

function generationRoute(env: GenerationEnv, parse: (body: unknown, req: IncomingMessage) => GenerationRequest, errorBody?: ErrorBodyShape): Route {
  return {
    method: "POST",
    errorBody,
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

export function emulatorRoutes(env: GenerationEnv, provider: StatsProvider): Routes {
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
    ["/v1/messages", generationRoute(env, (body) => parseMessagesRequest(body, model), anthropicError)],
    ["/v1/responses", generationRoute(env, (body) => parseResponsesRequest(body, model))],
    ["/v1/embeddings", generationRoute(env, (body) => parseEmbeddingsRequest(body, model))],
    ["/api/generate", generationRoute(env, (body) => parseGenerateRequest(body, model), ollamaError)],
    ["/api/chat", generationRoute(env, (body) => parseChatRequest(body, model), ollamaError)],
    ["/v1/models", { method: "GET", handle: (_req, res) => sendJson(res, 200, models) }],
    ["/health", { method: "GET", handle: (_req, res) => sendJson(res, 200, { status: "ok" }) }],
    ["/stats", { method: "GET", handle: async (_req, res) => sendJson(res, 200, await provider.stats()) }],
    ["/metrics", { method: "GET", handle: async (_req, res) => sendMetricsText(res, await provider.metricsText()) }],
    // Between the phases of a benchmark: zero the counters and the lateness histogram.
    [
      "/stats/reset",
      {
        method: "POST",
        handle: async (_req, res) => {
          await provider.reset();
          sendJson(res, 200, await provider.stats());
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
      sendError(res, err.status, err.message, err.headers, route?.errorBody);
    } else if (!req.destroyed) {
      onInternalError(err);
      sendError(res, 500, "emulator internal error", {}, route?.errorBody);
    }
  }
}
