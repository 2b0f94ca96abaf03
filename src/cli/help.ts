// How every command's `--help` is laid out: its flags in named groups, the most used group and flag
// first, then worked examples. Each command states its layout next to its flags; this module applies it.
import type { Command, Option } from "commander";

/** A group heading and the long flags in it (without `--`; `voice-*` takes every flag with that prefix). */
export type HelpGroup = readonly [heading: string, flags: readonly string[]];

/** What an example does, and the command line. */
export type HelpExample = readonly [what: string, commandLine: string];

export interface HelpLayout {
  groups: readonly HelpGroup[];
  examples: readonly HelpExample[];
}

/** The heading flags that no group names go under, so a new flag is never left out of the help. */
export const OTHER_GROUP = "Other:";

function flagName(option: Option): string {
  return (option.long ?? option.short ?? "").replace(/^--?/, "").replace(/^no-/, "");
}

/** Where a flag goes: its group's position and its position in that group. */
function placeOf(name: string, groups: readonly HelpGroup[]): { group: number; index: number } {
  for (const [group, [, flags]] of groups.entries()) {
    const exact = flags.indexOf(name);
    if (exact >= 0) return { group, index: exact };
    const prefix = flags.findIndex((flag) => flag.endsWith("*") && name.startsWith(flag.slice(0, -1)));
    if (prefix >= 0) return { group, index: prefix };
  }
  return { group: groups.length, index: 0 };
}

/** The examples as help text: each one a comment line and a command line. */
export function examplesText(examples: readonly HelpExample[]): string {
  const lines = examples.flatMap(([what, commandLine]) => [`  # ${what}`, `  $ ${commandLine}`]);
  return `\nExamples:\n${lines.join("\n")}\n`;
}

/** Puts the command's flags in the layout's groups and order, and its examples after them. */
export function layoutHelp(command: Command, layout: HelpLayout): Command {
  const options = command.options as Option[];
  const places = new Map(options.map((option) => [option, placeOf(flagName(option), layout.groups)]));
  // A stable sort keeps flags that share a prefix entry (voice-*) in the order they were added.
  options.sort((a, b) => places.get(a)!.group - places.get(b)!.group || places.get(a)!.index - places.get(b)!.index);
  for (const option of options) {
    const { group } = places.get(option)!;
    option.helpGroup(layout.groups[group]?.[0] ?? OTHER_GROUP);
  }
  return command.addHelpText("after", examplesText(layout.examples));
}

/** Groups a command's subcommands under headings, in the given order. */
export function groupCommands(command: Command, groups: readonly HelpGroup[]): void {
  const subcommands = command.commands as Command[];
  const places = new Map(subcommands.map((sub) => [sub, placeOf(sub.name(), groups)]));
  subcommands.sort((a, b) => places.get(a)!.group - places.get(b)!.group || places.get(a)!.index - places.get(b)!.index);
  for (const sub of subcommands) sub.helpGroup(groups[places.get(sub)!.group]?.[0] ?? OTHER_GROUP);
}

/** The command's path below the program: `cluster up`, or "" for the program itself. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) names.unshift(at.name());
  return names.join(" ");
}

/** Applies each command's layout, walking the whole tree; the program's own groups its commands. */
export function applyHelpLayouts(program: Command, layouts: Readonly<Record<string, HelpLayout>>, commandGroups: readonly HelpGroup[]): void {
  groupCommands(program, commandGroups);
  const visit = (command: Command): void => {
    const layout = layouts[commandPath(command)];
    if (layout) layoutHelp(command, layout);
    for (const sub of command.commands) visit(sub);
  };
  visit(program);
}
