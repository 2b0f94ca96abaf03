// Every command's `--help` as a user reads it: flags in named groups, worked examples at the end,
// nothing about where a feature came from; `node` listed; "did you mean" only for a flag of the same
// meaning. The commands are found by reading the help itself, so a new one is checked too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runCli } from "./helpers/cli.js";

interface HelpSection {
  heading: string;
  /** First word of each item: a flag (`-t,` / `--target`) or a command name. */
  terms: string[];
  lines: string[];
}

function sectionsOf(help: string): HelpSection[] {
  const sections: HelpSection[] = [];
  for (const line of help.split("\n")) {
    if (/^\S.*:$/.test(line)) sections.push({ heading: line, terms: [], lines: [] });
    else if (sections.length > 0) {
      const section = sections[sections.length - 1]!;
      section.lines.push(line);
      const term = /^ {2}(\S+)/.exec(line)?.[1];
      if (term !== undefined) section.terms.push(term.replace(/,$/, ""));
    }
  }
  return sections;
}

async function helpOf(path: string[]): Promise<string> {
  const result = await runCli([...path, "--help"], { timeoutMs: 60_000 });
  assert.equal(result.code, 0, `${path.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/** Every command path, found by walking the command lists of the help pages. */
async function allHelp(): Promise<Map<string, string>> {
  const pages = new Map<string, string>();
  const visit = async (path: string[]): Promise<void> => {
    assert.ok(path.length <= 2, `commands nest two deep at most: ${path.join(" ")}`);
    const help = await helpOf(path);
    pages.set(path.join(" "), help);
    const commandSections = sectionsOf(help).filter(
      (section) => !["Examples:", "Arguments:"].includes(section.heading) && section.terms.some((term) => !term.startsWith("-")),
    );
    const names = commandSections.flatMap((section) => section.terms).filter((name) => !name.startsWith("-") && name !== "help");
    // A few at a time: a busy machine starts twenty processes at once slowly.
    for (let i = 0; i < names.length; i += 4) await Promise.all(names.slice(i, i + 4).map((name) => visit([...path, name])));
  };
  await visit([]);
  return pages;
}

test("every command's --help: grouped flags, worked examples, no seed numbers; node and completion listed", async () => {
  const pages = await allHelp();
  const paths = [...pages.keys()];
  for (const expected of ["", "run", "emulate", "node", "completion", "cluster", "cluster logs", "audio create", "sweep", "overhead"]) {
    assert.ok(paths.includes(expected), `"${expected}" missing from the help tree: ${paths.join(", ")}`);
  }
  for (const [path, help] of pages) {
    const where = `tokenstorm ${path} --help`;
    assert.doesNotMatch(help, /\bseeds? ?0\d\d\b/i, `${where} says where a feature came from`);
    const sections = sectionsOf(help);
    const headings = sections.map((section) => section.heading);
    assert.equal(headings.at(-1), "Examples:", `${where}: examples come last (${headings.join(" ")})`);
    const exampleLines = sections.at(-1)!.lines.filter((line) => line.trim() !== "");
    const commands = exampleLines.filter((line) => line.startsWith("  $ "));
    const topLevel = !path.includes(" ");
    assert.ok(commands.length >= (topLevel ? 4 : 2) && commands.length <= 6, `${where}: ${commands.length} examples`);
    for (const [index, line] of exampleLines.entries()) {
      // Each example: what it does, then the command line.
      assert.match(line, index % 2 === 0 ? /^ {2}# \S/ : /^ {2}\$ .*\b(tokenstorm|npm run)\b/, `${where}: ${line}`);
    }
    assert.ok(!headings.includes("Other:"), `${where}: a flag in no group`);
    const optionSections = sections.filter((section) => section.terms.length > 0 && section.terms.every((term) => term.startsWith("-")));
    const ownGroups = optionSections.filter((section) => section.heading !== "Options:");
    const flagCount = optionSections.flatMap((section) => section.terms).length;
    // Beyond --help (and --version at the top), every flag is in a named group; long lists get several.
    const generic = optionSections.find((section) => section.heading === "Options:")?.terms ?? [];
    assert.ok(generic.every((term) => ["-h", "-V"].includes(term)), `${where}: ungrouped ${generic.join(" ")}`);
    if (flagCount >= 10) assert.ok(ownGroups.length >= 3, `${where}: ${flagCount} flags in ${ownGroups.length} groups`);
  }
  const run = sectionsOf(pages.get("run")!).map((section) => section.heading);
  const order = ["Target:", "Load model:", "Workload:", "Outputs:", "Thresholds:", "Observability:"];
  assert.deepEqual(run.filter((heading) => order.includes(heading)), order, "run's groups, most used first");
  assert.ok(run.includes("Advanced:"));
  assert.match(pages.get("")!, /^Emulated services:\n(.*\n)*? {2}node\b/m, "node is listed with the emulated services");
  assert.match(pages.get("node")!, /--role <role>/);
});

test("did you mean: only a flag with the same meaning", async () => {
  const cases: Array<[string[], RegExp]> = [
    [["run", "--protocl", "openai-chat"], /unknown option '--protocl' \(did you mean --protocol\?\)$/],
    [["run", "--vus", "5"], /unknown option '--vus' \(did you mean --clients\?\)$/],
    [["run", "--host", "127.0.0.1"], /unknown option '--host' \(did you mean --target\?\)$/],
    [["run", "--tokens", "5"], /unknown option '--tokens' \(did you mean --length\?\)$/],
    // --port is another command's flag, typed on purpose: its nearest spelling (--proto) means something else.
    [["run", "--port", "8000"], /unknown option '--port'$/],
    [["cluster", "logs", "--tail", "5"], /unknown option '--tail' \(did you mean --lines\?\)$/],
  ];
  for (const [args, expected] of cases) {
    const result = await runCli(args, { timeoutMs: 20_000 });
    assert.equal(result.code, 2, args.join(" "));
    assert.match(result.stderr.trim(), expected);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
  }
});
