// What each request asks: its prompt (a built-in set or the --dataset file), its max output tokens
// (the dataset entry's, else --length) and its type for the by_type breakdown.
import type { RequestSpec } from "../protocols/types.js";
import type { PromptDataset } from "./dataset.js";
import { PromptStatsRecorder } from "./prompt-stats.js";
import { pickPrompt } from "./prompts.js";

export interface RequestSourceConfig {
  prompts: readonly string[];
  dataset: PromptDataset | null;
  length: number | null;
}

export interface RequestSource {
  next(client: number, cycle: number): RequestSpec;
  /** Prompt length statistics; hand it to the runner as an output so it sees usage prompt tokens. */
  readonly stats: PromptStatsRecorder;
}

/**
 * `requestNumber`: a segment of a larger run numbers its requests as the whole run does, and takes
 * the dataset entry of that number, so that the segments together send the entries one process sends.
 */
export function requestSource(config: RequestSourceConfig, requestNumber?: (client: number, cycle: number) => number): RequestSource {
  const { dataset, length } = config;
  const stats = new PromptStatsRecorder(dataset ? `dataset ${dataset.file}` : `built-in ${config.prompts.join(",")}`);
  const next = (client: number, cycle: number): RequestSpec => {
    let spec: RequestSpec;
    if (dataset) {
      const entry = requestNumber ? dataset.at(requestNumber(client, cycle)) : dataset.take();
      spec = { type: entry.type, prompt: entry.prompt, messages: entry.messages, maxTokens: entry.maxTokens ?? length };
    } else {
      spec = { ...pickPrompt(config.prompts, client, cycle), maxTokens: length };
    }
    stats.recordPrompt(spec.prompt);
    return spec;
  };
  return { next, stats };
}
