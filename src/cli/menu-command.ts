// The `tokenstorm run` command line the interactive menu builds from its answers: only what differs
// from the chosen scenario goes in, and it is shown quoted exactly as a shell would need it.

export interface MenuAnswers {
  /** A named scenario, or null for a custom test. */
  scenario: string | null;
  target?: string;
  model?: string;
  protocol?: string;
  /** Custom test: `closed`, `staged` or an open pattern name. */
  loadModel?: string;
  rps?: string;
  users?: string;
  clients?: string;
  duration?: string;
  maxConcurrent?: string;
  out?: string;
}

/** Answer field and the run flag it becomes, in the order they are written. */
const FLAG_ORDER: Array<[keyof MenuAnswers, string]> = [
  ["target", "--target"],
  ["model", "--model"],
  ["protocol", "--protocol"],
  ["users", "--users"],
  ["clients", "--clients"],
  ["rps", "--rps"],
  ["duration", "--duration"],
  ["maxConcurrent", "--max-concurrent"],
  ["out", "--out"],
];

/** The arguments after `tokenstorm run`. */
export function menuRunArgs(answers: MenuAnswers): string[] {
  const args: string[] = [];
  if (answers.scenario !== null) args.push("--scenario", answers.scenario);
  else if (answers.loadModel !== undefined && answers.loadModel !== "closed" && answers.loadModel !== "staged") args.push("--pattern", answers.loadModel);
  for (const [field, flag] of FLAG_ORDER) {
    const value = answers[field];
    if (typeof value === "string" && value !== "") args.push(flag, value);
  }
  return args;
}

/** POSIX shell quoting: bare when safe, else single quotes. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(args: readonly string[]): string {
  return ["tokenstorm", "run", ...args].map(shellQuote).join(" ");
}
