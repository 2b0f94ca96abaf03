// Synthetic prompts of an exact token length (`run --input-tokens N`), and the drawn lengths of each
// request (`--output-tokens`, `--random-range-ratio`). Text is built from a pool of common words,
// encoded, cut or padded to the length and decoded; decoding and re-encoding can merge or split
// tokens at the cut, so the text is re-encoded and fixed up until it holds exactly the length.
import { mulberry32 } from "../random.js";
import type { Tokenizer } from "./tokenizer.js";

/** Common English words: one token each, with their leading space, in the OpenAI encodings. */
export const WORD_POOL = (
  "the of and to in is was for on that with as by at from his her an were are which this be or had " +
  "not but one all their there been has its new more who will would about up out into than them can " +
  "only other time some could these two may first then do any like my now over such our man me even " +
  "most made after also did many before must through back years where much your way well down should " +
  "because each just those people how too little state good very make world still own see men work " +
  "long get here between both life being under never day same another know while last might us great " +
  "old year off come since against go came right used take three place small water light river stone " +
  "music table garden window market letter story morning winter summer number system question"
).split(" ");

/** Fix-up rounds before giving up on one draw of words and trying another. */
const MAX_ROUNDS = 32;

/** Words drawn from the pool. */
function words(random: () => number, count: number, first?: string): string[] {
  const out = first === undefined ? [] : [first];
  while (out.length < count) out.push(WORD_POOL[Math.floor(random() * WORD_POOL.length)]!);
  return out;
}

/**
 * Text that `tokenizer` encodes to exactly `tokens` tokens, drawn from `random`. `first` is the
 * opening word when the text must start with one (shared prefixes: each group its own).
 */
export function textOfTokens(tokenizer: Tokenizer, tokens: number, random: () => number, first?: string): string {
  if (tokens < 1) return "";
  for (let attempt = 0; attempt < 8; attempt++) {
    const text = fitted(tokenizer, tokens, words(random, tokens, first).join(" "), random);
    if (text !== null) return text;
  }
  throw new Error(`could not build a prompt of exactly ${tokens} tokens with tokenizer ${tokenizer.name}`);
}

/** `text` cut or padded until it encodes to `tokens` tokens, or null when it does not settle. */
function fitted(tokenizer: Tokenizer, tokens: number, start: string, random: () => number): string | null {
  let text = start;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const ids = tokenizer.encode(text);
    if (ids.length === tokens) return text;
    if (ids.length > tokens) {
      text = tokenizer.decode(ids.slice(0, tokens)).trimEnd();
    } else {
      // Whole words from the pool, one per missing token; the next round corrects any merge.
      text = `${text} ${words(random, tokens - ids.length).join(" ")}`;
    }
  }
  return null;
}

/** A seeded hash of a request's place in the run: the same in one process and in any segment of it. */
export function requestSeed(client: number, cycle: number, seed: number, salt: number): number {
  let h = Math.imul(client + 1, 0x85ebca6b) ^ Math.imul(cycle + 1, 0xc2b2ae35) ^ seed ^ Math.imul(salt, 0x27d4eb2f);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}

export interface SyntheticLengths {
  /** --input-tokens: the mean prompt length; null keeps the prompt sets or dataset. */
  inputTokens: number | null;
  /** --output-tokens: the mean output length asked for (max_tokens); null keeps --length. */
  outputTokens: number | null;
  /** --random-range-ratio r: lengths uniform over [N(1-r), N(1+r)], as vLLM's random dataset draws them. */
  rangeRatio: number;
  /** --ignore-eos: ask the server for exactly the drawn output length (min_tokens, ignore_eos). */
  ignoreEos: boolean;
}

/** A length drawn uniformly from [N(1-r), N(1+r)] (vLLM's bounds), never below 1. */
export function drawLength(mean: number, ratio: number, random: () => number): number {
  if (ratio === 0) return mean;
  const low = Math.max(1, Math.floor(mean * (1 - ratio)));
  const high = Math.max(low, Math.ceil(mean * (1 + ratio)));
  return low + Math.floor(random() * (high - low + 1));
}

/** One request's synthetic prompt and output length. */
export interface SyntheticRequest {
  prompt: string | null;
  promptTokens: number | null;
  maxTokens: number | null;
}

/** Each (client, cycle)'s prompt and lengths, from the run's seed alone. */
export function syntheticRequest(lengths: SyntheticLengths, tokenizer: Tokenizer, client: number, cycle: number, seed: number): SyntheticRequest {
  const random = mulberry32(requestSeed(client, cycle, seed, 0x51));
  const promptTokens = lengths.inputTokens === null ? null : drawLength(lengths.inputTokens, lengths.rangeRatio, random);
  const maxTokens = lengths.outputTokens === null ? null : drawLength(lengths.outputTokens, lengths.rangeRatio, random);
  const prompt = promptTokens === null ? null : textOfTokens(tokenizer, promptTokens, random);
  return { prompt, promptTokens, maxTokens };
}
