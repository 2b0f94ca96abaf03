// Ctrl-C or SIGTERM from the first moment of `tokenstorm run`: imported first by main.ts, so the
// handlers are in place while the rest of the program still loads and the target warms up (a couple
// of seconds on a busy machine). A signal then is kept until the run takes it over and stops as
// soon as it can, with a report of the interrupted run and exit 1 (as documented), not a bare 130.
// A second signal quits at once, as it does during the run.

let pending: NodeJS.Signals | null = null;
let claimed = false;

function onEarlySignal(signal: NodeJS.Signals): void {
  if (claimed) return;
  if (pending !== null) process.exit(130);
  pending = signal;
  process.stderr.write(`\ntokenstorm: ${signal} during start-up: stopping once started, writing the (empty) report (again to quit at once)\n`);
}

/** The run's own handlers are installed: take over a signal received before them (null if none). */
export function claimEarlySignal(): NodeJS.Signals | null {
  if (!claimed) {
    claimed = true;
    process.off("SIGINT", onEarlySignal);
    process.off("SIGTERM", onEarlySignal);
  }
  const signal = pending;
  pending = null;
  return signal;
}

// Only `run` reports an interruption; other commands keep their own (or the default) handling.
if (process.argv[2] === "run") {
  process.on("SIGINT", onEarlySignal);
  process.on("SIGTERM", onEarlySignal);
}
