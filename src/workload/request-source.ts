// What each request asks: its prompt (a built-in set, the --dataset file, or a synthetic prompt of
// --input-tokens), its max output tokens (--output-tokens' draw, the dataset entry's, else --length)
// and its type for the by_type breakdown.
import type { RequestSpec, UserTurn } from "../protocols/types.js";
import type { PromptDataset } from "./dataset.js";
import { PromptStatsRecorder } from "./prompt-stats.js";
import { pickPrompt } from "./prompts.js";
import { groupOf, PrefixTexts, type SharedPrefix } from "./shared-prefix.js";
import { syntheticRequest, type SyntheticLengths } from "./synthetic.js";
import { loadTokenizer, WordTokenizer, type Tokenizer } from "./tokenizer.js";

export interface RequestSourceConfig {
  prompts: readonly string[];
  dataset: PromptDataset | null;
  length: number | null;
  sharedPrefix: SharedPrefix | null;
  seed: number | null;
  /** --tokenizer: an encoding name or a tokenizer.json path; null counts words. */
  tokenizer?: string | null;
  /** --input-tokens / --output-tokens and their spread; null keeps prompts and --length. */
  synthetic?: SyntheticLengths | null;
  /** The protocol: whether it sends the messages or the prompt decides what the tokenizer counts. */
  protocol?: string;
}

/** Protocols that send a conversation's messages (the others send `prompt`, its contents joined). */
const MESSAGE_PROTOCOLS = new Set(["openai-chat", "ollama-chat", "anthropic-messages", "openai-responses"]);

export interface RequestSource {
  next(client: number, cycle: number): RequestSpec;
  /** A later turn's user message (--turns): drawn as request (client, cycle) is, without a shared prefix. */
  followUp(client: number, cycle: number): UserTurn;
  /** Count a request built from this source's draws (a conversation's later turn) in the prompt statistics. */
  sent(spec: RequestSpec): void;
  /** Prompt length statistics; hand it to the runner as an output so it sees usage prompt tokens. */
  readonly stats: PromptStatsRecorder;
}

function statsSource(config: RequestSourceConfig): string {
  const synthetic = config.synthetic;
  if (synthetic?.inputTokens != null) return `synthetic ${synthetic.inputTokens} tokens`;
  return config.dataset ? `dataset ${config.dataset.file}` : `built-in ${config.prompts.join(",")}`;
}

/**
 * `requestNumber`: a segment of a larger run numbers its requests as the whole run does, and takes
 * the dataset entry of that number, so that the segments together send the entries one process sends.
 * Synthetic prompts and prefix groups depend on (client, cycle, seed) alone, so segments draw them too.
 */
export function requestSource(config: RequestSourceConfig, requestNumber?: (client: number, cycle: number) => number): RequestSource {
  const { dataset, length } = config;
  const tokenizer: Tokenizer | null = config.tokenizer ? loadTokenizer(config.tokenizer) : null;
  const synthetic = config.synthetic ?? null;
  // Without a tokenizer, synthetic prompts are words: one word is one token, as the emulator counts.
  const generator = synthetic ? (tokenizer ?? new WordTokenizer()) : null;
  const prefixes = config.sharedPrefix ? new PrefixTexts(config.sharedPrefix, tokenizer) : null;
  const stats = new PromptStatsRecorder(statsSource(config), tokenizer);
  const seed = config.seed ?? 0;
  const sendsMessages = MESSAGE_PROTOCOLS.has(config.protocol ?? "openai-chat");
  const draw = (client: number, cycle: number): RequestSpec => {
    let spec: RequestSpec;
    if (dataset) {
      // A trace's arrival i asks for its line i (the open model numbers arrivals as clients).
      const entry = requestNumber ? dataset.at(requestNumber(client, cycle)) : dataset.order === "arrival" ? dataset.at(client) : dataset.take();
      spec = { type: entry.type, prompt: entry.prompt, messages: entry.messages, maxTokens: entry.maxTokens ?? length };
      if (entry.followUps) spec.followUps = entry.followUps;
      if (entry.tools) spec.tools = entry.tools;
    } else {
      // Named fields, not a spread plus one: a spread followed by a field gives each spec a V8 map of
      // its own, and the runner's and drivers' reads of a spec then miss their inline caches.
      const picked = pickPrompt(config.prompts, client, cycle);
      spec = { type: picked.type, prompt: picked.prompt, maxTokens: length };
    }
    if (synthetic && generator) {
      const drawn = syntheticRequest(synthetic, generator, client, cycle, seed);
      if (drawn.prompt !== null) spec = { type: "synthetic", prompt: drawn.prompt, maxTokens: spec.maxTokens };
      if (drawn.maxTokens !== null) spec.maxTokens = drawn.maxTokens;
      if (synthetic.ignoreEos) spec.ignoreEos = true;
    }
    return spec;
  };
  const sent = (spec: RequestSpec): void => {
    // Messages count as sent: each content on its own, and an agent's tool-call arguments.
    const texts = tokenizer !== null && sendsMessages && spec.messages ? spec.messages.flatMap((m) => (m.toolCalls ? [m.content, ...m.toolCalls.map((call) => call.arguments)] : [m.content])) : undefined;
    stats.recordPrompt(spec.prompt, texts);
  };
  const next = (client: number, cycle: number): RequestSpec => {
    let spec = draw(client, cycle);
    if (prefixes) spec = withPrefix(spec, prefixes, groupOf(prefixes.prefix, client, cycle, seed));
    sent(spec);
    return spec;
  };
  const followUp = (client: number, cycle: number): UserTurn => {
    const spec = draw(client, cycle);
    return { content: spec.prompt, maxTokens: spec.maxTokens };
  };
  return { next, followUp, sent, stats };
}

/**
 * The request behind its group's shared prefix: a system message first for chat (the dataset's own
 * messages after it), the prefix text first for a plain prompt. Its type is the group, for by_type.
 */
function withPrefix(spec: RequestSpec, prefixes: PrefixTexts, group: number): RequestSpec {
  const prefix = prefixes.of(group);
  const messages = spec.messages ?? [{ role: "user", content: spec.prompt }];
  return { ...spec, type: `prefix-${group}`, prompt: `${prefix}\n\n${spec.prompt}`, messages: [{ role: "system", content: prefix }, ...messages] };
}
