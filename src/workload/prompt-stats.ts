// Prompt length statistics for the report's `prompts` block: characters of every prompt sent, and
// prompt tokens where the server reported usage. HDR histograms, like every other distribution; their
// encoded form goes into the report's merge data so segments merge into the same block.
import { LatencyHistogram } from "../metrics/histogram.js";
import type { Output } from "../report/output.js";
import type { PromptLengthStats, PromptsBlock, PromptsMergeData, RequestRecord } from "../report/types.js";
import type { Tokenizer } from "./tokenizer.js";

/** The block's figures from a histogram of lengths (null when it holds none). */
export function lengthStats(histogram: LatencyHistogram): PromptLengthStats | null {
  if (histogram.count === 0) return null;
  // The histogram is in "milliseconds"; here one unit is one character or token.
  const { count, min, mean, p50, p95, max } = histogram.summary();
  return { count, min, mean: Math.round(mean * 10) / 10, p50: Math.round(p50), p95: Math.round(p95), max };
}

/**
 * Fed each prompt as it is sent and, as an output, each finished request's usage prompt tokens. With
 * a tokenizer (--tokenizer) the tokens are its count of what was sent, and usage is not read.
 */
export class PromptStatsRecorder implements Output {
  readonly name = "prompt-stats";
  private readonly chars = new LatencyHistogram();
  private readonly tokens = new LatencyHistogram();

  constructor(
    private readonly source: string,
    private readonly tokenizer: Tokenizer | null = null,
  ) {}

  /** `texts`: what the tokenizer counts (a chat request's message contents; default the prompt). */
  recordPrompt(prompt: string, texts: readonly string[] = [prompt]): void {
    this.chars.recordMs(prompt.length);
    if (this.tokenizer !== null) {
      let tokens = 0;
      for (const text of texts) tokens += this.tokenizer.count(text);
      this.tokens.recordMs(tokens);
    }
  }

  onRequest(record: RequestRecord): void {
    if (this.tokenizer === null && record.prompt_tokens !== null) this.tokens.recordMs(record.prompt_tokens);
  }

  finish(): Promise<void> {
    return Promise.resolve();
  }

  block(): PromptsBlock {
    return { source: this.source, chars: lengthStats(this.chars), tokens: lengthStats(this.tokens), tokens_counted_by: this.countedBy };
  }

  /** The histograms behind block(), encoded for the report's merge data (null when empty). */
  encoded(): PromptsMergeData {
    const encode = (h: LatencyHistogram): string | null => (h.count === 0 ? null : h.encode());
    return { source: this.source, chars: encode(this.chars), tokens: encode(this.tokens), tokens_counted_by: this.countedBy };
  }

  private get countedBy(): string {
    return this.tokenizer?.name ?? "usage";
  }
}
