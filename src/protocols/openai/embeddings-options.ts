// The run flags that belong to openai-embeddings: --batch-size (inputs per request) and
// --dimensions (the vector length asked for), validated with the rest of the run's flags so that
// every problem is reported at once.
import type { Command } from "commander";
import type { Problems } from "../../config/values.js";
import { MAX_EMBEDDING_DIMENSIONS, MAX_EMBEDDING_INPUTS } from "./embeddings-wire.js";

export const OPENAI_EMBEDDINGS = "openai-embeddings";

export interface EmbeddingsFlags {
  batchSize?: string;
  dimensions?: string;
}

export interface EmbeddingsOptions {
  /** Inputs per request. */
  batchSize: number;
  /** Vector length sent as `dimensions`; null: the server's default. */
  dimensions: number | null;
}

export const DEFAULT_EMBEDDINGS_OPTIONS: EmbeddingsOptions = { batchSize: 1, dimensions: null };

export function addEmbeddingsOptions(command: Command): Command {
  return command
    .option("--batch-size <n>", `openai-embeddings: inputs per request, 1-${MAX_EMBEDDING_INPUTS} (default 1)`)
    .option("--dimensions <n>", "openai-embeddings: vector length asked for (default: the server's; the emulator's is 16)");
}

export function resolveEmbeddings(flags: EmbeddingsFlags, protocol: string, problems: Problems): EmbeddingsOptions {
  const given: Array<[string, unknown]> = [["--batch-size", flags.batchSize], ["--dimensions", flags.dimensions]];
  if (protocol !== OPENAI_EMBEDDINGS) {
    for (const [flag, value] of given) if (value !== undefined) problems.add(`${flag} applies to --protocol ${OPENAI_EMBEDDINGS} only`);
    return DEFAULT_EMBEDDINGS_OPTIONS;
  }
  const batchSize = problems.number(flags.batchSize, "positiveInt", { flag: "--batch-size" }) ?? DEFAULT_EMBEDDINGS_OPTIONS.batchSize;
  if (batchSize > MAX_EMBEDDING_INPUTS) problems.add(`--batch-size: at most ${MAX_EMBEDDING_INPUTS} inputs per request (got ${batchSize})`);
  const dimensions = problems.number(flags.dimensions, "positiveInt", { flag: "--dimensions" }) ?? null;
  if (dimensions !== null && dimensions > MAX_EMBEDDING_DIMENSIONS) problems.add(`--dimensions: at most ${MAX_EMBEDDING_DIMENSIONS} (got ${dimensions})`);
  return { batchSize, dimensions };
}
