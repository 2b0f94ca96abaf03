// Tokenizers for `run --tokenizer`: the OpenAI encodings (o200k_base, cl100k_base, from gpt-tokenizer)
// and any Hugging Face tokenizer.json (through @huggingface/tokenizers). Without one a token is a
// whitespace-separated word, as the emulator counts them. Libraries load only when a run names one,
// synchronously, so that a bad --tokenizer is a usage error before anything starts.
import { readFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export interface Tokenizer {
  /** How the report names it: the encoding, the tokenizer.json path, or "words". */
  readonly name: string;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /** Tokens of `text` (without the special tokens a chat template would add). */
  count(text: string): number;
}

export const OPENAI_ENCODINGS = ["o200k_base", "cl100k_base"] as const;

const require = createRequire(import.meta.url);

/** Words: the emulator's tokens. Ids are given in order of first sight, per tokenizer. */
export class WordTokenizer implements Tokenizer {
  readonly name = "words";
  private readonly ids = new Map<string, number>();
  private readonly words: string[] = [];

  encode(text: string): number[] {
    return wordsIn(text).map((word) => {
      let id = this.ids.get(word);
      if (id === undefined) {
        id = this.words.length;
        this.words.push(word);
        this.ids.set(word, id);
      }
      return id;
    });
  }

  decode(ids: readonly number[]): string {
    return ids.map((id) => this.words[id] ?? "").join(" ");
  }

  count(text: string): number {
    return wordsIn(text).length;
  }
}

function wordsIn(text: string): string[] {
  return text.split(/\s+/).filter((word) => word.length > 0);
}

interface GptEncoding {
  encode(text: string, options?: { disallowedSpecial?: Set<string> }): number[];
  decode(ids: Iterable<number>): string;
}

function openAiTokenizer(name: (typeof OPENAI_ENCODINGS)[number]): Tokenizer {
  const encoding = require(`gpt-tokenizer/encoding/${name}`) as GptEncoding;
  // Text that happens to spell a special token (<|endoftext|>) is counted as plain text, never refused.
  const plain = { disallowedSpecial: new Set<string>() };
  return {
    name,
    encode: (text) => encoding.encode(text, plain),
    decode: (ids) => encoding.decode(ids),
    count: (text) => encoding.encode(text, plain).length,
  };
}

interface HfTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): { ids: number[] };
  decode(ids: number[], options?: { skip_special_tokens?: boolean }): string;
}

/** A tokenizer.json, with the tokenizer_config.json beside it when there is one. */
function huggingFaceTokenizer(path: string): Tokenizer {
  const json = JSON.parse(readFileSync(path, "utf8")) as unknown;
  const configPath = join(dirname(path), "tokenizer_config.json");
  const config = existsSync(configPath) ? (JSON.parse(readFileSync(configPath, "utf8")) as unknown) : {};
  const { Tokenizer: HfTokenizerClass } = require("@huggingface/tokenizers") as { Tokenizer: new (json: unknown, config: unknown) => HfTokenizer };
  const tokenizer = new HfTokenizerClass(json, config);
  const noSpecial = { add_special_tokens: false };
  return {
    name: path,
    encode: (text) => tokenizer.encode(text, noSpecial).ids,
    decode: (ids) => tokenizer.decode([...ids], { skip_special_tokens: true }),
    count: (text) => tokenizer.encode(text, noSpecial).ids.length,
  };
}

const loaded = new Map<string, Tokenizer>();

/**
 * The tokenizer `--tokenizer` names (memoised: config resolution and the run share one). Throws an
 * Error whose message says what is wrong with the name or file.
 */
export function loadTokenizer(nameOrPath: string): Tokenizer {
  let tokenizer = loaded.get(nameOrPath);
  if (tokenizer) return tokenizer;
  if ((OPENAI_ENCODINGS as readonly string[]).includes(nameOrPath)) {
    tokenizer = openAiTokenizer(nameOrPath as (typeof OPENAI_ENCODINGS)[number]);
  } else {
    if (!existsSync(nameOrPath)) {
      throw new Error(`"${nameOrPath}" is neither a known encoding (${OPENAI_ENCODINGS.join(", ")}) nor an existing tokenizer.json file`);
    }
    try {
      tokenizer = huggingFaceTokenizer(nameOrPath);
      tokenizer.encode("tokenizer check");
    } catch (err) {
      throw new Error(`${nameOrPath} is not a usable Hugging Face tokenizer.json (${err instanceof Error ? err.message.split("\n")[0] : String(err)})`);
    }
  }
  loaded.set(nameOrPath, tokenizer);
  return tokenizer;
}
