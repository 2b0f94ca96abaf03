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

/** The text piece of token `index` as it goes on the wire. */
export type PieceSource = (index: number) => string;

/**
 * Pieces for one response. With `leadingSpace`, every piece but the first starts with a space, as
 * real tokenizers do, so concatenating the pieces gives readable text. Echo of an empty prompt
 * falls back to lorem rather than streaming nothing.
 */
export function pieceSource(mode: TextMode, promptWords: readonly string[], leadingSpace: boolean): PieceSource {
  if (leadingSpace && (mode === "lorem" || (mode === "echo" && promptWords.length === 0))) {
    // The usual case, on every token: the spaced words are made once, not per token.
    return (index) => (index === 0 ? LOREM_WORDS[0]! : LOREM_SPACED[index % LOREM_SPACED.length]!);
  }
  const word = wordAt(mode, promptWords);
  return leadingSpace ? (index) => (index === 0 ? word(0) : ` ${word(index)}`) : word;
}

function wordAt(mode: TextMode, promptWords: readonly string[]): PieceSource {
  switch (mode) {
    case "counter":
      return (index) => `token_${index}`;
    case "echo":
      if (promptWords.length > 0) return (index) => promptWords[index % promptWords.length]!;
      return wordAt("lorem", promptWords);
    case "lorem":
      return (index) => LOREM_WORDS[index % LOREM_WORDS.length]!;
  }
}
