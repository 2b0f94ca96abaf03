// The voice part of the console summary, in seed 003's "LOAD TEST PERFORMANCE REPORT" layout:
// summary, request types, then each voice metric with min/mean/median/p95/p99/max in ms and s,
// and the false-alarm resume and tool-call success rates, and how the user's speech was paced (with
// how late paced appends went out). Shown only when voice metrics exist.
import type { LatencySummary } from "../metrics/histogram.js";
import { MEASURED_METRIC_NAMES, type OutcomeMetricName } from "../metrics/registry.js";
import type { Report } from "../report/types.js";

type Paint = (text: string) => string;

const SECTIONS: Array<{ metric: string; title: string; definition?: string; outcome?: OutcomeMetricName }> = [
  { metric: "connect", title: "🔌 CONNECTION LATENCY" },
  { metric: "ttfa", title: "⚡ TIME TO FIRST AUDIO (TTFA)", definition: "Time from speech_end → first audio chunk received" },
  { metric: "response_total", title: "🏁 TOTAL RESPONSE TIME", definition: "Time from speech_end → response fully delivered" },
  { metric: "barge_in", title: "🚨 BARGE-IN LATENCY", definition: "Interrupting speech starts → the agent's audio stops" },
  { metric: "recovery", title: "🔁 RECOVERY TIME", definition: "End of the interrupting query → first audio of the new response" },
  { metric: "resume", title: "🎭 FALSE-ALARM RESUME", definition: "End of the noise → the agent's audio resumes", outcome: "false_alarm_resume_rate" },
  { metric: "tool_call", title: "🔧 TOOL CALLS", definition: "Function call received → first audio after the tool output", outcome: "tool_call_success_rate" },
];

const STATS: Array<[label: string, stat: keyof LatencySummary]> = [
  ["Min", "min"],
  ["Mean", "mean"],
  ["Median", "p50"],
  ["P95", "p95"],
  ["P99", "p99"],
  ["Max", "max"],
];

function statLines(summary: LatencySummary): string[] {
  return STATS.map(([label, stat]) => {
    const ms = summary[stat];
    return `     ${`${label}:`.padEnd(8)}${ms.toFixed(1).padStart(9)}ms  (${(ms / 1000).toFixed(3)}s)`;
  });
}

function percent(part: number, whole: number): string {
  return whole > 0 ? `${((part / whole) * 100).toFixed(1)}%` : "-";
}

/** The run's --speech-pacing, and for realtime pacing how far behind its schedule the speech went out. */
function pacingLines(report: Report): string[] {
  const pacing = (report.config["voice"] as { speechPacing?: unknown } | undefined)?.speechPacing;
  if (typeof pacing !== "string") return [];
  const lines = ["", "🎙️ SPEECH PACING"];
  if (pacing !== "realtime") return [...lines, `  ${pacing}: each utterance sent at once`];
  lines.push("  realtime: each 100 ms append sent when its audio would have been spoken");
  const lag = report.latency["speech_lag"];
  if (lag && lag.count > 0) {
    lines.push(`  Send lag (latest append of each request behind its time): mean ${lag.mean.toFixed(1)}ms, p99 ${lag.p99.toFixed(1)}ms, max ${lag.max.toFixed(1)}ms`);
  }
  return lines;
}

/** What the opening lines of a voice run need to know. */
export interface VoiceRunFacts {
  target: string;
  /** Clients, or users for the staged model. */
  concurrency: number;
  /** Turns per client session; null when the run is bounded by time instead. */
  requestsPerClient: number | null;
  totalRequests: number | null;
  weights: Readonly<Record<string, number>>;
}

/** The opening lines of a voice run, in the layout of the voice load test users know (seed 003). */
export function voiceRunHeader(facts: VoiceRunFacts): string {
  const weights = Object.entries(facts.weights)
    .filter(([, weight]) => weight > 0)
    .map(([name, weight]) => `'${name}': ${weight}`)
    .join(", ");
  return [
    "🚀 Starting load test:",
    `  Server: ${facts.target}`,
    `  Concurrency: ${facts.concurrency}`,
    `  Requests per client: ${facts.requestsPerClient ?? "until the run ends"}`,
    `  Total requests: ${facts.totalRequests ?? "until the run ends"}`,
    `  Scenarios: {${weights}}`,
    "",
  ].join("\n");
}

/** `[Client 0] ✓ Connected in 23.4 ms`: one line per client connection with --verbose. */
export function connectedLine(client: number, ms: number): string {
  return `[Client ${client}] ✓ Connected in ${ms.toFixed(1)} ms`;
}

/** True when the report holds any voice measurement. */
export function isVoiceReport(report: Report): boolean {
  return MEASURED_METRIC_NAMES.some((name) => (report.latency[name]?.count ?? 0) > 0);
}

export function voiceConsoleSection(report: Report, bold: Paint = (t) => t): string[] {
  if (!isVoiceReport(report)) return [];
  const { summary } = report;
  const connectionErrors = report.connections.failed;
  const lines = [
    bold("🎯 VOICE PERFORMANCE REPORT"),
    "",
    "📊 SUMMARY",
    `  Total Requests:      ${summary.requests}`,
    `  ✅ Successful:       ${summary.successful} (${percent(summary.successful, summary.requests)})`,
    `  ❌ Failed:           ${summary.failed}`,
    `  🔌 Connection Errors: ${connectionErrors}`,
    "",
    "📋 REQUEST TYPES",
    ...Object.entries(report.by_type)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([type, breakdown]) => `  ${type}: ${breakdown.summary.requests} (${percent(breakdown.summary.requests, summary.requests)})`),
    ...pacingLines(report),
  ];
  for (const section of SECTIONS) {
    const latency = report.latency[section.metric];
    const counts = section.outcome ? summary.outcomes?.[section.outcome] : undefined;
    if ((latency?.count ?? 0) === 0 && !counts) continue;
    lines.push("", section.title);
    if (section.definition) lines.push(`   📝 Definition: ${section.definition}`);
    if (counts) lines.push(`   ${section.outcome === "tool_call_success_rate" ? "Success rate" : "Resume rate"}: ${percent(counts.succeeded, counts.attempts)} (${counts.succeeded}/${counts.attempts})`);
    if (latency && latency.count > 0) lines.push(...statLines(latency));
  }
  return lines;
}
