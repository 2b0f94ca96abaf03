// Live progress on stderr while a run is in progress: a small panel redrawn in place on a terminal, or
// one plain line every few seconds when stderr is a file or a CI log (where redrawing would only spam).
import { createLogUpdate } from "log-update";
import { palette, shouldColor, type Palette } from "./console.js";
import type { LiveSnapshot, Output } from "./output.js";

const BAR_WIDTH = 24;
const TOP_ERRORS = 3;

export interface ProgressOptions {
  /** Where progress goes; stderr by default so stdout stays clean for the summary. */
  stream?: NodeJS.WritableStream;
  /** Seconds between plain lines when the stream is not a terminal. */
  intervalS?: number;
  /** No progress output at all. */
  quiet?: boolean;
}

function ms(value: number | null): string {
  return value === null ? "-" : `${value.toFixed(1)}ms`;
}

function elapsed(seconds: number): string {
  const whole = Math.floor(seconds);
  if (whole < 60) return `${whole}s`;
  return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, "0")}s`;
}

/** Share of planned requests finished, 0..1; null when the plan has no fixed size. */
function fractionDone(snapshot: LiveSnapshot): number | null {
  if (!snapshot.planned) return null;
  return Math.min(1, (snapshot.completed + snapshot.failed) / snapshot.planned);
}

function topErrors(snapshot: LiveSnapshot): Array<[string, number]> {
  return Object.entries(snapshot.errors)
    .filter(([, count]) => count > 0)
    .sort(([nameA, a], [nameB, b]) => b - a || nameA.localeCompare(nameB))
    .slice(0, TOP_ERRORS);
}

/** One line for logs, e.g. `[  5s] active=50 done=120 failed=0 rps=24.1 tok/s=2410 ttft_p50=150.2ms itl_p50=20.1ms`. */
export function formatProgressLine(snapshot: LiveSnapshot): string {
  const fields = [
    `[${String(Math.round(snapshot.elapsed_s)).padStart(3)}s]`,
    ...(typeof snapshot.active_users === "number" ? [`users=${snapshot.active_users}`] : []),
    `active=${snapshot.active}`,
    ...(snapshot.waiting_arrivals !== undefined ? [`waiting=${snapshot.waiting_arrivals}`] : []),
    `done=${snapshot.completed}`,
    `failed=${snapshot.failed}`,
    `rps=${snapshot.requests_per_sec.toFixed(1)}`,
    `tok/s=${Math.round(snapshot.tokens_per_sec)}`,
    `ttft_p50=${ms(snapshot.ttft_p50)}`,
    `itl_p50=${ms(snapshot.itl_p50)}`,
  ];
  const fraction = fractionDone(snapshot);
  if (fraction !== null) fields.push(`progress=${Math.floor(fraction * 100)}%`);
  const errors = topErrors(snapshot);
  if (errors.length > 0) fields.push(`errors=${errors.map(([name, count]) => `${name}:${count}`).join(",")}`);
  return fields.join(" ");
}

function progressBar(fraction: number, paint: Palette): string {
  const filled = Math.round(fraction * BAR_WIDTH);
  return `${paint.green("█".repeat(filled))}${"░".repeat(BAR_WIDTH - filled)} ${String(Math.floor(fraction * 100)).padStart(3)}%`;
}

/** The terminal panel, redrawn once a second. */
export function renderProgressPanel(snapshot: LiveSnapshot, paint: Palette = palette(false)): string {
  const fraction = fractionDone(snapshot);
  const finished = snapshot.completed + snapshot.failed;
  const plan = fraction === null ? "" : `  ${progressBar(fraction, paint)} (${finished}/${snapshot.planned})`;
  const failed = snapshot.failed > 0 ? paint.red(String(snapshot.failed)) : String(snapshot.failed);
  const lines = [
    `${paint.bold("tokenstorm")}  ${elapsed(snapshot.elapsed_s)}${plan}`,
    `${typeof snapshot.active_users === "number" ? `users ${snapshot.active_users}  ` : ""}active ${snapshot.active}  ${snapshot.waiting_arrivals !== undefined ? `waiting ${snapshot.waiting_arrivals}  ` : ""}completed ${snapshot.completed}  failed ${failed}`,
    `${snapshot.requests_per_sec.toFixed(1)} req/s  ${Math.round(snapshot.tokens_per_sec)} tok/s`,
    `ttft p50 ${ms(snapshot.ttft_p50)}  p95 ${ms(snapshot.ttft_p95)}  itl p50 ${ms(snapshot.itl_p50)}`,
  ];
  const errors = topErrors(snapshot);
  if (errors.length > 0) lines.push(paint.red(`errors ${errors.map(([name, count]) => `${name} ${count}`).join("  ")}`));
  return lines.join("\n");
}

export class ProgressOutput implements Output {
  readonly name = "progress";
  private readonly stream: NodeJS.WritableStream;
  private readonly intervalS: number;
  private readonly quiet: boolean;
  private readonly panel: ReturnType<typeof createLogUpdate> | null;
  private readonly paint: Palette;
  private nextLineAtS: number;

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.intervalS = options.intervalS ?? 5;
    this.quiet = options.quiet ?? false;
    const isTerminal = (this.stream as { isTTY?: boolean }).isTTY === true;
    this.panel = isTerminal && !this.quiet ? createLogUpdate(this.stream) : null;
    this.paint = palette(shouldColor(this.stream));
    this.nextLineAtS = this.intervalS;
  }

  onTick(snapshot: LiveSnapshot): void {
    if (this.quiet) return;
    if (this.panel) {
      this.panel(renderProgressPanel(snapshot, this.paint));
      return;
    }
    if (snapshot.elapsed_s + 1e-9 < this.nextLineAtS) return;
    this.stream.write(`${formatProgressLine(snapshot)}\n`);
    // Next multiple of the interval, so a late tick does not shift every later line.
    this.nextLineAtS = (Math.floor(snapshot.elapsed_s / this.intervalS) + 1) * this.intervalS;
  }

  /** Remove the panel so the summary that follows starts on a clean screen (and show the cursor again). */
  async finish(): Promise<void> {
    this.panel?.clear();
    this.panel?.done();
  }
}
