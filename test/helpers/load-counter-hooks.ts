// Loader hook of load-counter.ts: appends the path of each ES module (and CommonJS file reached
// through import) as it loads.
import { appendFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

type NextLoad = (url: string, context: unknown) => Promise<unknown>;

export async function load(url: string, context: unknown, next: NextLoad): Promise<unknown> {
  const out = process.env.TOKENSTORM_LOADED_FILES;
  if (out && url.startsWith("file:")) appendFileSync(out, `${fileURLToPath(url)}\n`);
  return next(url, context);
}
