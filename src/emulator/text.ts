// The words the emulator streams. One token is one word, so a client can count tokens by counting
// content chunks and compare them with the prompt's word count and the requested length.
import type { TextMode } from "./options.js";

const LOREM_WORDS = (
  "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore " +
  "et dolore magna aliqua ut enim ad minim veniam quis nostrud exercitation ullamco laboris nisi ut " +
  "aliquip ex ea commodo consequat duis aute irure dolor in reprehenderit in voluptate velit esse " +
  "cillum dolore eu fugiat nulla pariatur excepteur sint occaecat cupidatat non proident sunt in " +
  "culpa qui officia deserunt mollit anim id est laborum"
).split(" ");
const LOREM_SPACED = LOREM_WORDS.map((word) => ` ${word}`);

/** Whitespace-separated words: the emulator's notion of prompt tokens. */
export function wordsOf(text: string): string[] {
  return text.split(/\s+/).filter((word) => word.length > 0);
}

/** A request's prompt as the emulator keeps it. */
export interface Prompt {
  /**
   * Its texts as sent (a chat request's message contents, a system prompt first): what --tokenizer
   * counts, each text on its own, as the generator's --tokenizer counts what it sent.
   */
  promptTexts: readonly string[];
  /** Their words: the prompt's tokens without --tokenizer, and the text echo mode repeats. */
  promptWords: string[];
}

/**
 * A request's Prompt from its texts. Parsers copy its two fields into the request by name: spreading
 * it into the object literal cost more than the rest of a chat request's parse (2.7 us against 1.4).
 */
export function promptOf(texts: readonly string[]): Prompt {
  return { promptTexts: texts, promptWords: wordsOf(texts.join(" ")) };
}

/** The text piece of token `index` as it goes on the wire. */
export type PieceSource = (index: number) => string;

/** The words a mode cycles through; none for the counter. Echo of an empty prompt falls back to lorem rather than streaming nothing. */
function cycleOf(mode: TextMode, promptWords: readonly string[]): readonly string[] | undefined {
  if (mode === "counter") return undefined;
  return mode === "echo" && promptWords.length > 0 ? promptWords : LOREM_WORDS;
}

/**
 * Pieces for one response. With `leadingSpace`, every piece but the first starts with a space, as
 * real tokenizers do, so concatenating the pieces gives readable text.
 */
export function pieceSource(mode: TextMode, promptWords: readonly string[], leadingSpace: boolean): PieceSource {
  const words = cycleOf(mode, promptWords);
  // The usual case, on every token: lorem's spaced words are made once, not per token.
  if (leadingSpace && words === LOREM_WORDS) return (index) => (index === 0 ? LOREM_WORDS[0]! : LOREM_SPACED[index % LOREM_SPACED.length]!);
  const word: PieceSource = words === undefined ? (index) => `token_${index}` : (index) => words[index % words.length]!;
  return leadingSpace ? (index) => (index === 0 ? word(0) : ` ${word(index)}`) : word;
}
