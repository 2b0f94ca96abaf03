// The `--config run.yaml` file: every flag of `tokenstorm run` as a key (its long name without `--`),
// plus named scenarios (`scenarios: {name: {...}}`, picked with `scenario: name`). Parsed with node
// ranges so each problem points at the value in the file, validated with one zod schema, and every
// problem reported at once as `run.yaml:LINE:COL path: message`.
import { readFileSync } from "node:fs";
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from "yaml";
import { z } from "zod/v3";
import { UsageError } from "../errors.js";
import { parseThreshold } from "../report/thresholds.js";
import { didYouMean } from "./suggest.js";

/** `value`: one string (numbers allowed); `list`: repeatable flag; `switch`: boolean flag. */
export type ConfigKeyKind = "value" | "list" | "switch";

export interface ConfigKey {
  /** The key in the file: the flag's long name without `--` (`max-concurrent`; `save` for `--no-save`). */
  key: string;
  /** The flag's property in RawRunFlags (`maxConcurrent`). */
  attribute: string;
  kind: ConfigKeyKind;
}

/** Where a value came from in the file, for messages: `run.yaml:3:17` and `scenarios.soak.rps`. */
export interface FileOrigin {
  location: string;
  path: string;
  line: number;
  col: number;
}

/** Flags (RawRunFlags properties, CLI-shaped values) set by one part of the file. */
export interface FlagLayer {
  flags: Record<string, string | string[] | boolean>;
  origins: Map<string, FileOrigin>;
}

export interface ConfigFile {
  path: string;
  /** Top-level keys; `scenario` among them picks one of `scenarios` (or a built-in one). */
  top: FlagLayer;
  scenarios: Map<string, FlagLayer>;
}

/** A problem found in the file, kept with its position so all can be sorted and printed together. */
export interface FileProblem {
  line: number;
  col: number;
  text: string;
}

export interface LoadedConfigFile {
  file: ConfigFile;
  problems: FileProblem[];
}

type PathSegment = string | number;

const SCENARIO_KEY = "scenario";
const SCENARIOS_KEY = "scenarios";

/** Checks of single list items beyond their type (a threshold must parse). */
const ITEM_CHECKS: Record<string, (item: string) => void> = {
  threshold: (expression) => void parseThreshold(expression),
};

const scalarValue = z
  .union([z.string(), z.number()], { errorMap: () => ({ message: "must be a string or a number" }) })
  .transform((value) => String(value));

function schemaFor(kind: ConfigKeyKind): z.ZodTypeAny {
  switch (kind) {
    case "value":
      return scalarValue;
    case "list":
      // A single value is a list of one; item problems then point at the item.
      return z.preprocess((value) => (Array.isArray(value) ? value : [value]), z.array(scalarValue));
    case "switch":
      return z.boolean({ errorMap: () => ({ message: "must be true or false" }) });
  }
}

function flagsShape(keys: readonly ConfigKey[]): Record<string, z.ZodTypeAny> {
  const shape: Record<string, z.ZodTypeAny> = {};
  for (const { key, kind } of keys) shape[key] = schemaFor(kind).optional();
  shape[SCENARIO_KEY] ??= scalarValue.optional();
  return shape;
}

/** A mapping's own problem line when the value is no mapping; its other problems (unknown keys) keep zod's. */
function mappingError(what: string): { errorMap: z.ZodErrorMap } {
  return { errorMap: (issue, ctx) => ({ message: issue.code === z.ZodIssueCode.invalid_type ? `must be a mapping of ${what}` : ctx.defaultError }) };
}

export function configFileSchema(keys: readonly ConfigKey[]) {
  const flags = flagsShape(keys);
  return z.strictObject(
    {
      ...flags,
      [SCENARIOS_KEY]: z
        .record(z.string(), z.strictObject(flags, mappingError("flag names to values")), mappingError("scenario names to settings"))
        .optional(),
    },
    mappingError("flag names (without --) to values"),
  );
}

/** The node at `path` (or its key), else the deepest node on the way: a position is always found. */
function rangeStart(doc: Document, path: readonly PathSegment[], wantKey: boolean): number {
  const startOf = (n: unknown): number | undefined => (n as { range?: [number, number, number] } | null)?.range?.[0];
  let node: unknown = doc.contents;
  let start = startOf(node) ?? 0;
  for (const [index, segment] of path.entries()) {
    const last = index === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      if (last && wantKey) return startOf(pair.key) ?? start;
      start = startOf(pair.value) ?? startOf(pair.key) ?? start;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      node = node.items[segment];
      start = startOf(node) ?? start;
    } else {
      break;
    }
  }
  return start;
}

function formatPath(path: readonly PathSegment[]): string {
  return path.reduce<string>((text, segment) => (typeof segment === "number" ? `${text}[${segment}]` : text ? `${text}.${segment}` : segment), "");
}

class FileLocator {
  constructor(
    private readonly name: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  origin(path: readonly PathSegment[], wantKey = false): FileOrigin {
    const { line, col } = this.lines.linePos(rangeStart(this.doc, path, wantKey));
    return { location: `${this.name}:${line}:${col}`, path: formatPath(path), line, col };
  }

  problem(path: readonly PathSegment[], message: string, wantKey = false): FileProblem {
    const at = this.origin(path, wantKey);
    const where = at.path === "" ? at.location : `${at.location} ${at.path}`;
    return { line: at.line, col: at.col, text: `${where}: ${message}` };
  }
}

/** Remove `path` from a plain object tree, so the rest can still be parsed and used. */
function prune(tree: unknown, path: readonly PathSegment[]): void {
  let node = tree as Record<PathSegment, unknown> | undefined;
  for (const segment of path.slice(0, -1)) {
    node = node?.[segment] as Record<PathSegment, unknown> | undefined;
    if (node === null || typeof node !== "object") return;
  }
  if (node && typeof node === "object") delete node[path[path.length - 1]!];
}

/** How deep a problem's value is pruned: a flag key at the top or inside one scenario. */
function flagPath(path: readonly PathSegment[]): PathSegment[] {
  return path[0] === SCENARIOS_KEY ? path.slice(0, 3) : path.slice(0, 1);
}

function knownKeysAt(path: readonly PathSegment[], keys: readonly ConfigKey[]): string[] {
  const flags = [...keys.map((k) => k.key), SCENARIO_KEY];
  return path.length === 0 ? [...flags, SCENARIOS_KEY] : flags;
}

function schemaProblems(tree: unknown, keys: readonly ConfigKey[], at: FileLocator): FileProblem[] {
  const parsed = configFileSchema(keys).safeParse(tree);
  if (parsed.success) return [];
  const problems: FileProblem[] = [];
  for (const issue of parsed.error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const path = [...(issue.path as PathSegment[]), key];
        problems.push(at.problem(path, `unknown key${didYouMean(key, knownKeysAt(issue.path as PathSegment[], keys))}`, true));
        prune(tree, path);
      }
      continue;
    }
    const path = issue.path as PathSegment[];
    problems.push(at.problem(path, issue.message));
    // The whole mapping is wrong (not a scenario's map): nothing below it can be used.
    if (path.length === 0) return problems;
    prune(tree, flagPath(path));
  }
  return problems;
}

function layerFrom(values: Record<string, unknown>, basePath: PathSegment[], keys: readonly ConfigKey[], at: FileLocator, problems: FileProblem[]): FlagLayer {
  const layer: FlagLayer = { flags: {}, origins: new Map() };
  const byKey = new Map(keys.map((k) => [k.key, k]));
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const attribute = byKey.get(key)?.attribute ?? key;
    const path = [...basePath, key];
    const check = ITEM_CHECKS[attribute];
    if (check && Array.isArray(value)) {
      const bad = value.flatMap((item: string, index) => {
        try {
          check(item);
          return [];
        } catch (err) {
          // The check's message repeats the flag and value; the position says both already.
          problems.push(at.problem([...path, index], (err as Error).message.replace(/^--[a-z-]+ "[^"]*": /, "")));
          return [index];
        }
      });
      if (bad.length > 0) continue;
    }
    layer.flags[attribute] = value as string | string[] | boolean;
    layer.origins.set(attribute, at.origin(path));
  }
  return layer;
}

/** Parse a config file's text; `name` is how messages name the file (as the user wrote it). */
export function parseConfigFile(text: string, name: string, keys: readonly ConfigKey[]): LoadedConfigFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true, uniqueKeys: true });
  const at = new FileLocator(name, doc, lines);
  const empty: ConfigFile = { path: name, top: { flags: {}, origins: new Map() }, scenarios: new Map() };
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((error) => {
      const { line, col } = lines.linePos(error.pos[0]);
      return { line, col, text: `${name}:${line}:${col}: ${error.message}` };
    });
    return { file: empty, problems };
  }
  let tree: unknown;
  try {
    tree = doc.toJS({ maxAliasCount: 1000 }) ?? {};
  } catch (err) {
    return { file: empty, problems: [at.problem([], (err as Error).message)] };
  }
  const problems = schemaProblems(tree, keys, at);
  const parsed = configFileSchema(keys).safeParse(tree);
  if (!parsed.success) return { file: empty, problems };
  const { [SCENARIOS_KEY]: scenarioMap, ...topValues } = parsed.data as Record<string, unknown>;
  const file: ConfigFile = { path: name, top: layerFrom(topValues, [], keys, at, problems), scenarios: new Map() };
  for (const [scenario, values] of Object.entries((scenarioMap ?? {}) as Record<string, Record<string, unknown>>)) {
    file.scenarios.set(scenario, layerFrom(values, [SCENARIOS_KEY, scenario], keys, at, problems));
  }
  return { file, problems };
}

/** Read and parse `path`; an unreadable file is a usage error naming it. */
export function loadConfigFile(path: string, keys: readonly ConfigKey[]): LoadedConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new UsageError(`--config ${path}: cannot read the file (${reason})`);
  }
  return parseConfigFile(text, path, keys);
}
