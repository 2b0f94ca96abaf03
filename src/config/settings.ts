// Settings owned by modules. Each module declares its settings as a zod object built from these
// field helpers, so a field's flag, its one-line description, its default and its rule are stated
// once; the run's settings are those objects composed (./run-settings.ts). A value arrives as the
// command line, the environment or a config file gives it (text) or as src/api.ts gives it (a
// number, a boolean, a list); it leaves as the typed value. Every field is parsed on its own, so one
// bad value neither hides another nor the checks across fields that the modules' resolvers make.
import { z } from "zod/v3";
import { parseValue, ValueKinds, type Problems, type ValueKind } from "./values.js";

/** What a field says about itself: its flag as typed, one line of help and its default (when fixed). */
export interface SettingInfo {
  flag: string;
  description: string;
  /** The value used when none is given; absent where it depends on other settings (the description says how). */
  default?: unknown;
}

/** Every setting field's flag, description and default, by schema. */
export const settingInfo = new WeakMap<z.ZodTypeAny, SettingInfo>();

/** `schema`, with its flag, description and default recorded in settingInfo. */
export function described<T extends z.ZodTypeAny>(schema: T, info: SettingInfo): T {
  settingInfo.set(schema, info);
  return schema;
}

/** A schema's own problem line for every issue it raises itself (a wrong type, no option of a union fits). */
export function problemLine(message: (raw: unknown) => string): { errorMap: z.ZodErrorMap } {
  return { errorMap: (_issue, ctx) => ({ message: message(ctx.data) }) };
}

/** Refuse `raw` in a transform, with `message`: the field's value is then left out. */
export function refuse(ctx: z.RefinementCtx, message: string): typeof z.NEVER {
  ctx.addIssue({ code: z.ZodIssueCode.custom, message });
  return z.NEVER;
}

/** The value as a problem line shows it: text as typed, anything else as JSON. */
export function shown(raw: unknown): string {
  return typeof raw === "string" ? `"${raw}"` : `"${JSON.stringify(raw)}"`;
}

/** A number of `kind`, given as text (the command line, a file, the environment) or as a number (the API). */
export function numberSetting(flag: string, kind: ValueKind, description: string, defaultValue?: number) {
  const expect = ValueKinds[kind].expect;
  const message = (raw: unknown) => `${flag} must be ${expect} (got ${shown(raw)})`;
  const schema = z
    .union([z.string(), z.number()], problemLine(message))
    .optional()
    .transform((raw, ctx): number | undefined => {
      if (raw === undefined) return undefined;
      const text = String(raw).trim();
      const value = text === "" ? null : parseValue(text, kind);
      return value !== null ? value : refuse(ctx, message(raw));
    });
  return described(schema, { flag, description, ...(defaultValue === undefined ? {} : { default: defaultValue }) });
}

/** A positive integer or `auto` (as many as the machine has cores: the resolver decides). */
export function countOrAutoSetting(flag: string, description: string, defaultValue: number) {
  const count = numberSetting(flag, "positiveInt", description, defaultValue);
  const message = (raw: unknown) => `${flag} must be a positive integer or auto (got ${shown(raw)})`;
  const schema = z
    .union([z.string(), z.number()], problemLine(message))
    .optional()
    .transform((raw, ctx): number | "auto" | undefined => {
      if (typeof raw === "string" && raw.trim() === "auto") return "auto";
      const parsed = count.safeParse(raw);
      return parsed.success ? parsed.data : refuse(ctx, message(raw));
    });
  return described(schema, { flag, description, default: defaultValue });
}

/** Free text: a name, a path, a URL, an expression the module's resolver reads further. */
export function textSetting(flag: string, description: string, defaultValue?: string) {
  const schema = z.string(problemLine((raw) => `${flag} must be text (got ${shown(raw)})`)).optional();
  return described(schema, { flag, description, ...(defaultValue === undefined ? {} : { default: defaultValue }) });
}

/** A switch: on, off, or not given (the resolver's default). */
export function switchSetting(flag: string, description: string, defaultValue = false) {
  const schema = z.boolean(problemLine((raw) => `${flag} must be true or false (got ${shown(raw)})`)).optional();
  return described(schema, { flag, description, default: defaultValue });
}

/** A repeatable flag: one text per use. */
export function listSetting(flag: string, description: string) {
  const schema = z.array(z.string(), problemLine((raw) => `${flag} must be a list of text values (got ${shown(raw)})`)).optional();
  return described(schema, { flag, description, default: [] });
}

/** A module's settings: a zod object of fields made by the helpers above. */
export type SettingsSchema = z.ZodObject<Record<string, z.ZodTypeAny>>;

/** Parsed settings: the typed values given (a setting not given is absent). */
export type Settings<S extends SettingsSchema> = Partial<z.output<S>>;

/** The fields of parsed settings whose value was given but refused (its problem already reported). */
const refused = new WeakMap<object, ReadonlySet<string>>();

/**
 * `raw` parsed field by field against `schema`: the typed values that were valid, and a problem line
 * (naming the field's flag) for each one that was not. Keys the schema does not know are left out.
 */
export function parseSettings<S extends SettingsSchema>(schema: S, raw: object, problems: Problems): Settings<S> {
  const values: Record<string, unknown> = {};
  const bad = new Set<string>();
  const input = raw as Record<string, unknown>;
  for (const [key, field] of Object.entries(schema.shape)) {
    if (input[key] === undefined) continue;
    const result = field.safeParse(input[key]);
    if (result.success) values[key] = result.data;
    else {
      bad.add(key);
      for (const issue of result.error.issues) problems.add(issue.message);
    }
  }
  refused.set(values, bad);
  return values as Settings<S>;
}

/**
 * Whether a setting was given at all, valid or not: a refused value is reported once, as itself, and
 * not a second time as missing by a check that needs it.
 */
export function given<T extends object>(settings: T, key: keyof T & string): boolean {
  return (settings as Record<string, unknown>)[key] !== undefined || (refused.get(settings)?.has(key) ?? false);
}

function infoOf<S extends SettingsSchema>(schema: S, key: keyof S["shape"] & string): SettingInfo {
  const info = settingInfo.get(schema.shape[key]!);
  if (!info) throw new Error(`setting ${key} has no flag or description`);
  return info;
}

/** A field's flag as typed (problems name it). */
export function flagOf<S extends SettingsSchema>(schema: S, key: keyof S["shape"] & string): string {
  return infoOf(schema, key).flag;
}

/** A field's help line: its description, and its default where it is a fixed value (not a switch's) the description does not state. */
export function helpLine<S extends SettingsSchema>(schema: S, key: keyof S["shape"] & string): string {
  const { description, default: fixed } = infoOf(schema, key);
  const stated = (typeof fixed === "number" || typeof fixed === "string" || (Array.isArray(fixed) && fixed.length > 0)) && !description.includes("default");
  return stated ? `${description} (default ${Array.isArray(fixed) ? fixed.join(",") : String(fixed)})` : description;
}

/** Commander's attribute for a long flag: --extra-delay-ms is extraDelayMs. */
export function attributeOfFlag(flag: string): string {
  return flag.replace(/^--/, "").replace(/-(.)/g, (_, next: string) => next.toUpperCase());
}

/** Each field's flag, description and default, in the schema's order (for help and drift checks). */
export function describeSettings(schema: SettingsSchema): Array<SettingInfo & { key: string }> {
  return Object.entries(schema.shape).map(([key, field]) => ({ key, ...(settingInfo.get(field) ?? { flag: "", description: "" }) }));
}
