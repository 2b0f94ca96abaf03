// Validation of single command-line / environment values with zod, turning each problem into one
// line that names the flag or variable. Callers collect problems and report them all at once.
import { z } from "zod";

export type ValueSource = { flag: string } | { env: string };

export const ValueKinds = {
  positiveInt: { schema: z.coerce.number().int().positive(), expect: "a positive integer" },
  nonNegativeInt: { schema: z.coerce.number().int().min(0), expect: "an integer >= 0" },
  nonNegative: { schema: z.coerce.number().min(0), expect: "a number >= 0" },
  positive: { schema: z.coerce.number().positive(), expect: "a number > 0" },
  fraction: { schema: z.coerce.number().min(0).max(1), expect: "a number between 0 and 1" },
  port: { schema: z.coerce.number().int().min(0).max(65535), expect: "a port number 0-65535" },
} as const;

export type ValueKind = keyof typeof ValueKinds;

export class Problems {
  readonly lines: string[] = [];

  add(line: string): void {
    this.lines.push(line);
  }

  /** Parse `raw` as `kind`; on failure record a problem and return undefined. */
  number(raw: string | number | undefined, kind: ValueKind, source: ValueSource): number | undefined {
    if (raw === undefined) return undefined;
    const text = String(raw).trim();
    const { schema, expect } = ValueKinds[kind];
    const parsed = text === "" ? null : schema.safeParse(text);
    if (parsed && parsed.success) return parsed.data;
    const name = "flag" in source ? source.flag : `environment variable ${source.env}`;
    this.add(`${name} must be ${expect} (got "${String(raw)}")`);
    return undefined;
  }

  get empty(): boolean {
    return this.lines.length === 0;
  }
}
