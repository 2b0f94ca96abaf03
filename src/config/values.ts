// The rules of numeric values and the Problems list every command reports at once, one line naming
// the flag or variable each. The settings schemas (./settings.ts) check their numbers by these
// rules; commands without a schema (sweep, proxy, cluster, overhead) call Problems.number directly.

export type ValueSource = { flag: string } | { env: string };

interface NumberRule {
  integer?: boolean;
  /** The smallest value allowed; `exclusive` makes it a bound the value must exceed. */
  min?: { value: number; exclusive?: boolean };
  max?: number;
}

// The rules zod's z.coerce.number() chains used to state: Number() of the text, finite, integers safe.
export const ValueKinds = {
  positiveInt: { rule: { integer: true, min: { value: 0, exclusive: true } }, expect: "a positive integer" },
  nonNegativeInt: { rule: { integer: true, min: { value: 0 } }, expect: "an integer >= 0" },
  nonNegative: { rule: { min: { value: 0 } }, expect: "a number >= 0" },
  positive: { rule: { min: { value: 0, exclusive: true } }, expect: "a number > 0" },
  fraction: { rule: { min: { value: 0 }, max: 1 }, expect: "a number between 0 and 1" },
  port: { rule: { integer: true, min: { value: 0 }, max: 65535 }, expect: "a port number 0-65535" },
} as const satisfies Record<string, { rule: NumberRule; expect: string }>;

export type ValueKind = keyof typeof ValueKinds;

/** `text` as a number of `kind` (JavaScript's Number(): hex, exponents and all), or null. */
export function parseValue(text: string, kind: ValueKind): number | null {
  const { rule } = ValueKinds[kind] as { rule: NumberRule };
  const value = Number(text);
  if (!Number.isFinite(value)) return null;
  if (rule.integer && !Number.isSafeInteger(value)) return null;
  if (rule.min && (rule.min.exclusive ? value <= rule.min.value : value < rule.min.value)) return null;
  if (rule.max !== undefined && value > rule.max) return null;
  return value;
}

export class Problems {
  readonly lines: string[] = [];

  add(line: string): void {
    this.lines.push(line);
  }

  /** Parse `raw` as `kind`; on failure record a problem and return undefined. */
  number(raw: string | number | undefined, kind: ValueKind, source: ValueSource): number | undefined {
    if (raw === undefined) return undefined;
    const text = String(raw).trim();
    const parsed = text === "" ? null : parseValue(text, kind);
    if (parsed !== null) return parsed;
    const { expect } = ValueKinds[kind];
    const name = "flag" in source ? source.flag : `environment variable ${source.env}`;
    this.add(`${name} must be ${expect} (got "${String(raw)}")`);
    return undefined;
  }

  get empty(): boolean {
    return this.lines.length === 0;
  }
}
