// The emulator's prefix cache, as a serving engine's automatic prefix caching works: the prompt is
// cut into blocks of `blockSize` tokens, each full block is named by a hash of itself and every block
// before it (a chain, so a block only matches behind the same prefix), and the cache keeps the most
// recently used blocks up to its capacity in tokens. A request's cached tokens are its leading run of
// blocks found in the cache; those skip prefill. Tokens are the emulator's words (one word, one token).
import { createHash } from "node:crypto";

export interface PrefixLookup {
  /** Prompt tokens the request brought (the query, in vLLM's counting). */
  promptTokens: number;
  /** The leading prompt tokens found in the cache (the hit): a whole number of blocks. */
  cachedTokens: number;
}

export class PrefixCache {
  /** Block hash → nothing; a Map keeps insertion order, so re-inserting on use makes it an LRU. */
  private readonly blocks = new Map<string, true>();
  private readonly capacityBlocks: number;

  constructor(
    capacityTokens: number,
    readonly blockSize: number,
  ) {
    this.capacityBlocks = Math.floor(capacityTokens / blockSize);
  }

  /** Blocks held now. */
  get size(): number {
    return this.blocks.size;
  }

  /**
   * Look the prompt up, then hold every full block of it as the most recently used. A block is
   * cached from the moment its request is admitted: a request admitted after it shares its prefix.
   */
  admit(promptTokens: readonly string[]): PrefixLookup {
    const hashes = this.chain(promptTokens);
    let hitBlocks = 0;
    while (hitBlocks < hashes.length && this.blocks.has(hashes[hitBlocks]!)) hitBlocks++;
    // Held last block first, so that the first block is the most recently used: eviction takes a
    // prompt's tail before its head, and a shared prefix outlives the suffixes behind it.
    for (let i = hashes.length - 1; i >= 0; i--) {
      this.blocks.delete(hashes[i]!);
      this.blocks.set(hashes[i]!, true);
    }
    // Evict the least recently used blocks beyond capacity.
    while (this.blocks.size > this.capacityBlocks) this.blocks.delete(this.blocks.keys().next().value!);
    return { promptTokens: promptTokens.length, cachedTokens: hitBlocks * this.blockSize };
  }

  clear(): void {
    this.blocks.clear();
  }

  /** The chained hash of each full block of the prompt. */
  private chain(words: readonly string[]): string[] {
    const hashes: string[] = [];
    let previous = "";
    for (let end = this.blockSize; end <= words.length; end += this.blockSize) {
      const hash = createHash("sha1");
      hash.update(previous);
      // A separator no word contains (the emulator splits words on whitespace).
      hash.update(" " + words.slice(end - this.blockSize, end).join(" "));
      previous = hash.digest("base64");
      hashes.push(previous);
    }
    return hashes;
  }
}
