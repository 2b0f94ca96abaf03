// The types of `tokenstorm run`'s settings: as given (the input of ./run-settings.ts' schema), and
// the resolved configuration (built and validated in ./run-config.ts). Kept apart so that the modules
// the builder calls can name these types without importing the builder.
import type { DistributedOptions } from "../distributed/settings.js";
import type { GoodputSlos } from "../metrics/collector.js";
import type { GrpcVoiceOptions } from "../protocols/grpc-voice/options.js";
import type { EmbeddingsOptions } from "../protocols/openai/embeddings-options.js";
import type { ObservabilityOptions } from "../report/observability.js";
import type { VoiceRunConfig } from "../voice/run-options.js";
import type { TlsFiles } from "../protocols/tls.js";
import type { PromptDataset } from "../workload/dataset.js";
import type { ConversationSettings } from "../workload/conversation-settings.js";
import type { SharedPrefix } from "../workload/shared-prefix.js";
import type { SyntheticLengths } from "../workload/synthetic.js";
import type { ArrivalPlan } from "../workload/open.js";
import type { StagePlan } from "../workload/stages.js";
import type { RunSettingsInput } from "./run-settings.js";

export interface ConfigFileUsed {
  path: string;
  scenario: string | null;
}

/** The run flags given as TOKENSTORM_* environment variables (src/config/environment.ts). */
export interface EnvironmentLayer {
  /** By attribute, as commander would hand them over. */
  flags: Record<string, unknown>;
  /** By attribute: the flag (as problems name it) and the variable that set it. */
  variables: Record<string, { flag: string; variable: string }>;
  /** Values that could not be read (a switch that is neither true nor false). */
  problems: string[];
}

/**
 * A run's settings as given (./run-settings.ts): text, switches and lists as commander hands them
 * over, numbers as src/api.ts does; and what the command adds about where they came from.
 */
export type RawRunFlags = RunSettingsInput & {
  /** TOKENSTORM_* variables, applied under these flags and the scenario (src/config/environment.ts). */
  environment?: EnvironmentLayer;
  /** The --config file the flags came from and the file scenario chosen (src/config/file.ts), for the report. */
  configFile?: ConfigFileUsed;
};

export interface RunConfig {
  target: string | null;
  /** The WebSocket endpoint when it is not on the target's host (session: the gateway, HAProxy :9001). */
  wsTarget: string | null;
  protocol: string;
  model: string;
  headers: Record<string, string>;
  apiKeyEnv: string | null;
  /** session: the HS256 secret this driver signs its gateway connection tokens with (from --token-secret-env). */
  sessionTokenSecret: string | null;
  clients: number;
  cycles: number | null;
  maxConcurrent: number;
  thinkTimeS: number;
  requests: number | null;
  durationS: number | null;
  /** The open model's arrival pattern; null runs the closed model. */
  pattern: ArrivalPlan | null;
  /** The staged closed model's users and stages (--users); null otherwise. */
  stages: StagePlan | null;
  /** The named scenario under the flags (--scenario), if any. */
  scenario: string | null;
  configFile: ConfigFileUsed | null;
  /** Prompts from a file (--dataset) instead of the built-in sets. */
  dataset: PromptDataset | null;
  /** --prefix-tokens / --prefix-groups: shared system prompts every request starts with; null without. */
  sharedPrefix: SharedPrefix | null;
  /** --turns / --turn-think-time / --session-header: multi-turn conversations; null: one request per cycle. */
  conversations: ConversationSettings | null;
  /** --tokenizer: an OpenAI encoding name or a tokenizer.json path; null counts tokens as words. */
  tokenizer: string | null;
  /** --input-tokens / --output-tokens (--random-range-ratio, --ignore-eos): synthetic lengths; null without. */
  synthetic: SyntheticLengths | null;
  /** Open model at the concurrency cap: wait for a slot instead of dropping the arrival. */
  queueWhenFull: boolean;
  /** Output tokens asked for per request (max_tokens); seed 000's response length in words. Null: the server decides. */
  length: number | null;
  /** Inter-token delay asked of the emulator, seconds (seed 000's token delay). */
  delayS: number;
  /** Time to first token asked of the emulator, seconds (defaults to the token delay). */
  ttftS: number;
  /** Processes of the embedded emulator (--emulator-workers; 1: a thread of this process). */
  emulatorWorkers: number;
  /** Read the target's GET /stats before and after the run (--emulator-stats: a tokenstorm emulator). */
  emulatorStats: boolean;
  prompts: string[];
  seed: number | null;
  timeoutS: number;
  connectTimeoutS: number;
  idleTimeoutS: number;
  /** WebSocket opening handshake limit (realtime), seconds. */
  handshakeTimeoutS: number;
  /** The longest line or SSE event a response may send, bytes. */
  maxLineBytes: number;
  /** --cacert, --cert / --key, --insecure: the files' paths (read when the driver is made). */
  tls: TlsFiles;
  /** HTTP targets over HTTP/2 (ALPN over TLS; prior knowledge, h2c, over http://). */
  http2: boolean;
  /** Connections per origin: HTTP/1.1 carries one stream on each, HTTP/2 multiplexes streams on them. */
  maxConnections: number;
  gracefulStopS: number;
  out: string | null;
  raw: string | null;
  csv: string | null;
  save: boolean;
  resultsDir: string;
  thresholds: string[];
  goodput: GoodputSlos;
  includeUsage: boolean;
  exactTokens: boolean;
  /** A run in which no request succeeded still exits 0 (without it: exit 1 unless thresholds decide). */
  allowFailures: boolean;
  quiet: boolean;
  verbose: boolean;
  /** One line per finished request on stderr (implies verbose). */
  debug: boolean;
  /** --proto, --service, --grpc-unavailable-rate (src/protocols/grpc-voice/options.ts). */
  grpcVoice: GrpcVoiceOptions;
  /** --batch-size, --dimensions (src/protocols/openai/embeddings-options.ts). */
  embeddings: EmbeddingsOptions;
  /** Voice conversations (realtime, grpc-voice): scenario weights, audio, targets (src/voice/run-options.ts). */
  voice: VoiceRunConfig;
  /** Segments, local workers, Redis controller (src/distributed/options.ts). */
  distributed: DistributedOptions;
  /** --html, --prometheus-*, --web*, --linger (src/report/observability.ts). */
  observability: ObservabilityOptions;
}
