// Shell completion scripts for bash, zsh and fish, written from the live command tree so that every
// command and flag is in them, with the protocol, scenario, pattern and prompt-set names as values.
// The scripts hold everything they need: completing never starts node.
import type { Command, Option } from "commander";
import { SCENARIO_NAMES } from "../config/scenarios.js";
import { TEXT_MODES } from "../emulator/options.js";
import { PROTOCOLS } from "../protocols/registry.js";
import { PATTERN_NAMES } from "../workload/patterns.js";
import { PROMPT_SET_NAMES } from "../workload/prompts.js";
import { SHELLS, type Shell } from "./completion.js";
import { commandPath } from "./help.js";


/** The values a flag takes, by its long name, wherever it appears. */
const FLAG_VALUES: Readonly<Record<string, readonly string[]>> = {
  "--protocol": PROTOCOLS.map((protocol) => protocol.name),
  "--scenario": SCENARIO_NAMES,
  "--pattern": PATTERN_NAMES,
  "--prompts": PROMPT_SET_NAMES,
  "--text": TEXT_MODES,
  "--role": ["api", "gateway", "all"],
};

/** The words a command takes as its argument, by command path. */
const ARGUMENT_VALUES: Readonly<Record<string, readonly string[]>> = {
  completion: SHELLS,
};

interface FlagEntry {
  names: string[];
  description: string;
  takesValue: boolean;
  values: readonly string[];
}

interface CommandEntry {
  /** Command path with `_` between names (`cluster_up`); "" for the program. */
  key: string;
  name: string;
  description: string;
  subcommands: CommandEntry[];
  flags: FlagEntry[];
  argumentValues: readonly string[];
}

function flagEntry(option: Option): FlagEntry {
  const names = [option.long, option.short].filter((name): name is string => name !== undefined);
  const takesValue = option.required || option.optional;
  return { names, description: option.description, takesValue, values: takesValue ? (FLAG_VALUES[option.long ?? ""] ?? []) : [] };
}

function visibleFlags(command: Command): FlagEntry[] {
  const help = command.createHelp();
  return help.visibleOptions(command).map(flagEntry);
}

function entryOf(command: Command): CommandEntry {
  const path = commandPath(command);
  const help = command.createHelp();
  return {
    key: path.replace(/ /g, "_"),
    name: command.name(),
    description: command.description().split("\n")[0] ?? "",
    subcommands: help.visibleCommands(command).filter((sub) => sub.name() !== "help").map(entryOf),
    flags: visibleFlags(command),
    argumentValues: ARGUMENT_VALUES[path] ?? [],
  };
}

function allEntries(root: CommandEntry): CommandEntry[] {
  return [root, ...root.subcommands.flatMap(allEntries)];
}

/** Every flag that takes a value from a fixed list, once. */
function valueFlags(entries: CommandEntry[]): Map<string, readonly string[]> {
  const found = new Map<string, readonly string[]>();
  for (const flag of entries.flatMap((entry) => entry.flags)) {
    if (flag.values.length > 0) for (const name of flag.names) found.set(name, flag.values);
  }
  return found;
}

/** `case` patterns that take the command path one word further: `/run`, `cluster/up`. */
function pathSteps(entries: CommandEntry[]): string[] {
  return entries.flatMap((entry) => entry.subcommands.map((sub) => `${entry.key}/${sub.name}`));
}

function bashScript(root: CommandEntry): string {
  const entries = allEntries(root);
  const words = (entry: CommandEntry): string => [...entry.subcommands.map((sub) => sub.name), ...entry.argumentValues].join(" ");
  const flags = (entry: CommandEntry): string => entry.flags.flatMap((flag) => flag.names).join(" ");
  const lines = [
    "# tokenstorm completion for bash: `source <(tokenstorm completion bash)`, or append it to ~/.bashrc",
    "_tokenstorm() {",
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" cmdpath="" word i',
    "  for ((i = 1; i < COMP_CWORD; i++)); do",
    '    word="${COMP_WORDS[i]}"',
    '    case "$cmdpath/$word" in',
    `      ${pathSteps(entries).join("|")}) cmdpath="\${cmdpath:+\${cmdpath}_}$word" ;;`,
    "    esac",
    "  done",
    '  case "$prev" in',
    ...[...valueFlags(entries)].map(([flag, values]) => `    ${flag}) COMPREPLY=($(compgen -W "${values.join(" ")}" -- "$cur")); return ;;`),
    "  esac",
    '  local flags="" words=""',
    '  case "$cmdpath" in',
    ...entries.map((entry) => `    "${entry.key}") flags="${flags(entry)}"; words="${words(entry)}" ;;`),
    "  esac",
    '  if [[ "$cur" == -* ]]; then',
    '    COMPREPLY=($(compgen -W "$flags" -- "$cur"))',
    '  elif [[ -n "$words" ]]; then',
    '    COMPREPLY=($(compgen -W "$words" -- "$cur"))',
    "  fi",
    "}",
    "complete -o default -F _tokenstorm tokenstorm",
  ];
  return `${lines.join("\n")}\n`;
}

/** A zsh `_describe` item, `name:description`, single-quoted. */
function zshItem(name: string, description: string): string {
  const text = `${name.replace(/:/g, "\\:")}:${description.replace(/\s+/g, " ")}`;
  return `'${text.replace(/'/g, "'\\''")}'`;
}

function zshScript(root: CommandEntry): string {
  const entries = allEntries(root);
  const lines = [
    "#compdef tokenstorm",
    "# tokenstorm completion for zsh: save as _tokenstorm in a folder on $fpath, then `compinit`",
    "_tokenstorm() {",
    '  local cmdpath="" word i',
    "  local -a items",
    "  for ((i = 2; i < CURRENT; i++)); do",
    "    word=${words[i]}",
    '    case "$cmdpath/$word" in',
    `      ${pathSteps(entries).join("|")}) cmdpath="\${cmdpath:+\${cmdpath}_}$word" ;;`,
    "    esac",
    "  done",
    '  case "${words[CURRENT-1]}" in',
    ...[...valueFlags(entries)].map(([flag, values]) => `    ${flag}) compadd -- ${values.join(" ")}; return ;;`),
    "  esac",
    '  if [[ "$PREFIX" == -* ]]; then',
    '    case "$cmdpath" in',
    ...entries.map((entry) => {
      const items = entry.flags.flatMap((flag) => flag.names.map((name) => zshItem(name, flag.description)));
      return `      "${entry.key}") items=(${items.join(" ")}) ;;`;
    }),
    "    esac",
    "    _describe -t options 'option' items",
    "    return",
    "  fi",
    '  case "$cmdpath" in',
    ...entries
      .filter((entry) => entry.subcommands.length > 0 || entry.argumentValues.length > 0)
      .map((entry) => {
        const items = [...entry.subcommands.map((sub) => zshItem(sub.name, sub.description)), ...entry.argumentValues.map((value) => zshItem(value, value))];
        return `    "${entry.key}") items=(${items.join(" ")}); _describe -t commands 'command' items ;;`;
      }),
    "    *) _files ;;",
    "  esac",
    "}",
    'if [[ "${zsh_eval_context[-1]}" == loadautofunc ]]; then _tokenstorm "$@"; else compdef _tokenstorm tokenstorm; fi',
  ];
  return `${lines.join("\n")}\n`;
}

function fishQuote(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

function fishScript(root: CommandEntry): string {
  const lines = ["# tokenstorm completion for fish: save as ~/.config/fish/completions/tokenstorm.fish"];
  const visit = (entry: CommandEntry, parents: string[]): void => {
    // Inside `cluster up`: every name of the path seen; at `cluster`: none of its subcommands yet.
    const seen = [...parents, ...(entry.key === "" ? [] : [entry.name])];
    const here = seen.length === 0 ? ["__fish_use_subcommand"] : seen.map((name) => `__fish_seen_subcommand_from ${name}`);
    const notDeeper = entry.subcommands.length > 0 && seen.length > 0 ? [`not __fish_seen_subcommand_from ${entry.subcommands.map((sub) => sub.name).join(" ")}`] : [];
    const condition = fishQuote([...here, ...notDeeper].join("; and "));
    for (const sub of entry.subcommands) lines.push(`complete -c tokenstorm -f -n ${condition} -a ${sub.name} -d ${fishQuote(sub.description)}`);
    for (const value of entry.argumentValues) lines.push(`complete -c tokenstorm -f -n ${condition} -a ${value}`);
    for (const flag of entry.flags) {
      const names = flag.names.map((name) => (name.startsWith("--") ? `-l ${name.slice(2)}` : `-s ${name.slice(1)}`)).join(" ");
      const value = flag.values.length > 0 ? ` -x -a ${fishQuote(flag.values.join(" "))}` : flag.takesValue ? " -r" : "";
      lines.push(`complete -c tokenstorm -n ${condition} ${names}${value} -d ${fishQuote(flag.description)}`);
    }
    for (const sub of entry.subcommands) visit(sub, seen);
  };
  visit(root, []);
  return `${lines.join("\n")}\n`;
}

/** The completion script of `shell` for the program's command tree. */
export function completionScript(shell: Shell, program: Command): string {
  const root = entryOf(program);
  if (shell === "bash") return bashScript(root);
  if (shell === "zsh") return zshScript(root);
  return fishScript(root);
}
