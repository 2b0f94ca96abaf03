// The run flags that belong to openai-embeddings: --batch-size (inputs per request) and
// --dimensions (the vector length asked for), validated with the rest of the run's flags so that
// every problem is reported at once.
import type { Command } from "commander";
import { z } from "zod/v3";
import { flagOf, given, helpLine, numberSetting, type Settings } from "../../config/settings.js";
import type { Problems } from "../../config/values.js";
import { MAX_EMBEDDING_DIMENSIONS, MAX_EMBEDDING_INPUTS } from "./embeddings-wire.js";

export const OPENAI_EMBEDDINGS = "openai-embeddings";

/** openai-embeddings' own settings (composed in src/config/run-settings.ts; its help lines below). */
export const embeddingsSettings = z.object({
  batchSize: numberSetting("--batch-size", "positiveInt", `openai-embeddings: inputs per request, 1-${MAX_EMBEDDING_INPUTS}`, 1),
  dimensions: numberSetting("--dimensions", "positiveInt", "openai-embeddings: vector length asked for (default: the server's; the emulator's is 16)"),
});


export interface EmbeddingsOptions {
  /** Inputs per request. */
  batchSize: number;
  /** Vector length sent as `dimensions`; null: the server's default. */
  dimensions: number | null;
}

export const DEFAULT_EMBEDDINGS_OPTIONS: EmbeddingsOptions = { batchSize: 1, dimensions: null };

export function addEmbeddingsOptions(command: Command): Command {
  return command
    .option("--batch-size <n>", helpLine(embeddingsSettings, "batchSize"))
    .option("--dimensions <n>", helpLine(embeddingsSettings, "dimensions"));
}

export function resolveEmbeddings(flags: Settings<typeof embeddingsSettings>, protocol: string, problems: Problems): EmbeddingsOptions {
  if (protocol !== OPENAI_EMBEDDINGS) {
    for (const key of ["batchSize", "dimensions"] as const) {
      if (given(flags, key)) problems.add(`${flagOf(embeddingsSettings, key)} applies to --protocol ${OPENAI_EMBEDDINGS} only`);
    }
    return DEFAULT_EMBEDDINGS_OPTIONS;
  }
  const batchSize = flags.batchSize ?? DEFAULT_EMBEDDINGS_OPTIONS.batchSize;
  if (batchSize > MAX_EMBEDDING_INPUTS) problems.add(`--batch-size: at most ${MAX_EMBEDDING_INPUTS} inputs per request (got ${batchSize})`);
  const dimensions = flags.dimensions ?? null;
  if (dimensions !== null && dimensions > MAX_EMBEDDING_DIMENSIONS) problems.add(`--dimensions: at most ${MAX_EMBEDDING_DIMENSIONS} (got ${dimensions})`);
  return { batchSize, dimensions };
}
