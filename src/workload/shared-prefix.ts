// Shared prefixes (`--prefix-tokens N --prefix-groups K`): K distinct system prompts of N tokens, and
// each request starts with one of them, then its own text. This is the traffic prefix caches and
// prefix-aware routers are built for: requests of one group share their first N tokens exactly.
// Without a tokenizer a token is a word (the emulator counts words); with one (--tokenizer), each
// prefix is exactly N tokens of it.
import { z } from "zod/v3";
import { given, type Settings, numberSetting } from "../config/settings.js";
import type { Problems } from "../config/values.js";
import { mulberry32 } from "../random.js";
import { textOfTokens, WORD_POOL } from "./synthetic.js";
import type { Tokenizer } from "./tokenizer.js";

export interface SharedPrefix {
  /** Tokens (words) of each shared prefix. */
  tokens: number;
  /** Distinct prefixes requests draw from. */
  groups: number;
}

const VOCABULARY = (
  "you are a helpful assistant for the operations team answer questions about services deployments " +
  "metrics alerts and incidents using the runbook below keep answers short cite the section you used " +
  "when unsure say so and ask for the missing detail never invent hostnames or numbers"
).split(" ");

/** The shared-prefix settings of a run (composed in src/config/run-settings.ts). */
export const sharedPrefixSettings = z.object({
  prefixTokens: numberSetting("--prefix-tokens", "positiveInt", "every prompt starts with one of --prefix-groups shared system prompts of n tokens (words without a tokenizer), then its own text"),
  prefixGroups: numberSetting("--prefix-groups", "positiveInt", "how many distinct shared prefixes requests draw from (default 1; needs --prefix-tokens)", 1),
});

export function resolveSharedPrefix(problems: Problems, flags: Settings<typeof sharedPrefixSettings>): SharedPrefix | null {
  if (given(flags, "prefixGroups") && !given(flags, "prefixTokens")) problems.add("--prefix-groups needs --prefix-tokens");
  if (flags.prefixTokens === undefined) return null;
  return { tokens: flags.prefixTokens, groups: flags.prefixGroups ?? 1 };
}

/** Group `group`'s prefix: its own first word, so no two groups share even their first block. */
export function prefixText(group: number, tokens: number): string {
  const random = mulberry32(0x9e3779b9 ^ (group + 1));
  const words = [`[prefix-${group}]`];
  while (words.length < tokens) words.push(VOCABULARY[Math.floor(random() * VOCABULARY.length)]!);
  return words.join(" ");
}

/**
 * The group of a client's cycle: a seeded hash of both, so a run with the same --seed sends the same
 * groups in the same order, and the segments of a distributed run draw what one process would.
 */
export function groupOf(prefix: SharedPrefix, client: number, cycle: number, seed: number): number {
  let h = Math.imul(client + 1, 0x85ebca6b) ^ Math.imul(cycle + 1, 0xc2b2ae35) ^ seed;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return (h >>> 0) % prefix.groups;
}

/**
 * Group `group`'s prefix of exactly `tokens` tokens of `tokenizer`; its first word is the group's own
 * (for the first groups of the pool), the rest drawn from the group's seed.
 */
export function tokenizedPrefixText(group: number, tokens: number, tokenizer: Tokenizer): string {
  const random = mulberry32(0x9e3779b9 ^ (group + 1));
  return textOfTokens(tokenizer, tokens, random, WORD_POOL[group % WORD_POOL.length]);
}

/** Memoised prefix texts of one run (words, or tokens of the run's tokenizer). */
export class PrefixTexts {
  private readonly texts = new Map<number, string>();

  constructor(
    readonly prefix: SharedPrefix,
    private readonly tokenizer: Tokenizer | null = null,
  ) {}

  of(group: number): string {
    let text = this.texts.get(group);
    if (text === undefined) {
      text = this.tokenizer ? tokenizedPrefixText(group, this.prefix.tokens, this.tokenizer) : prefixText(group, this.prefix.tokens);
      this.texts.set(group, text);
    }
    return text;
  }
}
