// `run --tokenizer`, `--input-tokens`, `--output-tokens`, `--random-range-ratio`, `--ignore-eos`:
// checked together into the run's tokenizer and synthetic lengths (the config builder calls this).
import type { Problems } from "../config/values.js";
import type { SyntheticLengths } from "./synthetic.js";
import { loadTokenizer } from "./tokenizer.js";

export interface TokenFlags {
  tokenizer?: string;
  inputTokens?: string;
  outputTokens?: string;
  randomRangeRatio?: string;
  ignoreEos?: boolean;
  /** Read only to refuse it beside --output-tokens. */
  length?: string;
}

export interface TokenWorkload {
  /** The encoding name or tokenizer.json path; null: words. */
  tokenizer: string | null;
  synthetic: SyntheticLengths | null;
}

export function resolveTokenWorkload(problems: Problems, flags: TokenFlags, dataset: boolean): TokenWorkload {
  let tokenizer: string | null = null;
  if (flags.tokenizer !== undefined) {
    try {
      loadTokenizer(flags.tokenizer);
      tokenizer = flags.tokenizer;
    } catch (err) {
      problems.add(`--tokenizer: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const inputTokens = problems.number(flags.inputTokens, "positiveInt", { flag: "--input-tokens" }) ?? null;
  const outputTokens = problems.number(flags.outputTokens, "positiveInt", { flag: "--output-tokens" }) ?? null;
  const rangeRatio = problems.number(flags.randomRangeRatio, "nonNegative", { flag: "--random-range-ratio" });
  if (rangeRatio !== undefined && rangeRatio >= 1) problems.add(`--random-range-ratio must be a number >= 0 and below 1 (got "${flags.randomRangeRatio}")`);
  const lengthsGiven = flags.inputTokens !== undefined || flags.outputTokens !== undefined;
  if (flags.randomRangeRatio !== undefined && !lengthsGiven) problems.add("--random-range-ratio needs --input-tokens or --output-tokens");
  if (flags.ignoreEos === true && flags.outputTokens === undefined) problems.add("--ignore-eos needs --output-tokens");
  if (flags.outputTokens !== undefined && flags.length !== undefined) problems.add("--output-tokens and --length both set max_tokens: give one of them");
  if (flags.inputTokens !== undefined && dataset) problems.add("--input-tokens and --dataset cannot be combined (the dataset's prompts are sent as they are)");
  if (!lengthsGiven) return { tokenizer, synthetic: null };
  return { tokenizer, synthetic: { inputTokens, outputTokens, rangeRatio: rangeRatio ?? 0, ignoreEos: flags.ignoreEos === true } };
}
