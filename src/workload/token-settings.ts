// `run --tokenizer`, `--input-tokens`, `--output-tokens`, `--random-range-ratio`, `--ignore-eos`:
// checked together into the run's tokenizer and synthetic lengths (the config builder calls this).
import { z } from "zod/v3";
import { given, type Settings, numberSetting, switchSetting, textSetting } from "../config/settings.js";
import type { Problems } from "../config/values.js";
import type { SyntheticLengths } from "./synthetic.js";
import { loadTokenizer } from "./tokenizer.js";

/** The token workload's own settings (the run composes them: src/config/run-settings.ts). */
export const tokenSettings = z.object({
  tokenizer: textSetting("--tokenizer", "count tokens with o200k_base, cl100k_base or a Hugging Face tokenizer.json (default: a token is a word, as the emulator counts)"),
  inputTokens: numberSetting("--input-tokens", "positiveInt", "synthetic prompts of exactly n tokens of --tokenizer (words without one)"),
  outputTokens: numberSetting("--output-tokens", "positiveInt", "output tokens asked for per request (max_tokens), drawn like --input-tokens"),
  randomRangeRatio: numberSetting("--random-range-ratio", "nonNegative", "spread of --input-tokens / --output-tokens: each drawn uniformly from [n(1-r), n(1+r)], as vLLM's random dataset", 0),
  ignoreEos: switchSetting("--ignore-eos", "ask for exactly the drawn output length: min_tokens = max_tokens and ignore_eos (vLLM, TGI); needs --output-tokens"),
});

export type TokenSettings = Settings<typeof tokenSettings>;

export interface TokenWorkload {
  /** The encoding name or tokenizer.json path; null: words. */
  tokenizer: string | null;
  synthetic: SyntheticLengths | null;
}

/** `lengthGiven`: the run's --length, refused beside --output-tokens; `dataset`: prompts come from a file. */
export function resolveTokenWorkload(problems: Problems, flags: TokenSettings, lengthGiven: boolean, dataset: boolean): TokenWorkload {
  let tokenizer: string | null = null;
  if (flags.tokenizer !== undefined) {
    try {
      loadTokenizer(flags.tokenizer);
      tokenizer = flags.tokenizer;
    } catch (err) {
      problems.add(`--tokenizer: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const inputTokens = flags.inputTokens ?? null;
  const outputTokens = flags.outputTokens ?? null;
  const rangeRatio = flags.randomRangeRatio;
  if (rangeRatio !== undefined && rangeRatio >= 1) problems.add(`--random-range-ratio must be a number >= 0 and below 1 (got "${rangeRatio}")`);
  const lengthsGiven = given(flags, "inputTokens") || given(flags, "outputTokens");
  if (given(flags, "randomRangeRatio") && !lengthsGiven) problems.add("--random-range-ratio needs --input-tokens or --output-tokens");
  if (flags.ignoreEos === true && !given(flags, "outputTokens")) problems.add("--ignore-eos needs --output-tokens");
  if (given(flags, "outputTokens") && lengthGiven) problems.add("--output-tokens and --length both set max_tokens: give one of them");
  if (given(flags, "inputTokens") && dataset) problems.add("--input-tokens and --dataset cannot be combined (the dataset's prompts are sent as they are)");
  if (!lengthsGiven) return { tokenizer, synthetic: null };
  return { tokenizer, synthetic: { inputTokens, outputTokens, rangeRatio: rangeRatio ?? 0, ignoreEos: flags.ignoreEos === true } };
}
