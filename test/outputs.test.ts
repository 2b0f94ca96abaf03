// Report outputs: the console summary, the JSON report file, raw NDJSON and CSV streams, live progress.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { RunError, UsageError } from "../src/errors.js";
import { ConsoleSummaryOutput, renderConsoleReport } from "../src/report/console.js";
import { CSV_COLUMNS, CsvRequestsOutput } from "../src/report/csv.js";
import { JsonReportOutput, readReportFile, writeReportFile } from "../src/report/json.js";
import type { LiveSnapshot } from "../src/report/output.js";
import { formatProgressLine, ProgressOutput } from "../src/report/progress.js";
import { RawRequestsOutput } from "../src/report/raw.js";
import { sampleRecord, sampleReport } from "./helpers/sample-report.js";

const workDir = mkdtempSync(join(tmpdir(), "tokenstorm-outputs-"));
after(() => rmSync(workDir, { recursive: true, force: true }));

/** Wait until the file has at least `count` complete lines (the write stream flushes asynchronously). */
async function linesOnceFlushed(path: string, count: number): Promise<string[]> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const text = existsSync(path) ? readFileSync(path, "utf8") : "";
    const lines = text.split("\n").slice(0, -1);
    if (lines.length >= count) return lines;
    await sleep(10);
  }
  assert.fail(`${path} did not reach ${count} lines`);
}

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks).toString("utf8");
}

function snapshot(fields: Partial<LiveSnapshot>): LiveSnapshot {
  return {
    elapsed_s: 5,
    active: 50,
    started: 170,
    completed: 120,
    failed: 0,
    tokens: 12000,
    requests_per_sec: 24.1,
    tokens_per_sec: 2410,
    ttft_p50: 150.2,
    ttft_p95: 310.5,
    itl_p50: 20.1,
    e2e_p95: 2400,
    planned: null,
    errors: {},
    ...fields,
  };
}

describe("console summary", () => {
  it("opens with seed 000's block, filled from the report", () => {
    const text = renderConsoleReport(sampleReport());
    const rule = "=".repeat(80);
    const seedBlock = [
      "LOAD TEST RESULTS",
      rule,
      "Test completed. [total_clients=10, total_cycles=50, duration=18.55s]",
      "",
      "THROUGHPUT:",
      "  [requests_per_sec=2.70, tokens_per_sec=269.61, cycles_per_sec=2.70]",
      "",
      "REQUEST LATENCY (ms):",
      "  [p50=2789.42, p95=4701.31, p99=4752.32, max=4758.55]",
      "",
      "TOKEN LATENCY (ms):",
      "  [p50=10.05, p95=12.50, p99=15.75]",
      "",
      "CONNECTIONS:",
      "  [successful=10, failed=0, total_errors=2]",
      rule,
    ].join("\n");
    assert.ok(text.startsWith(seedBlock), text);
    assert.ok(text.endsWith(`${rule}\n`));
    assert.doesNotMatch(text, /\u001b\[/);
  });

  it("adds the streaming table, tokens, errors, types and thresholds", () => {
    const report = sampleReport();
    report.latency["barge_in"] = { count: 3, min: 10, mean: 20, stddev: 5, p50: 19, p90: 28, p95: 29, p99: 30, p999: 30, max: 30 };
    report.errors = { timeout: 1, http_500: 4 };
    const lines = renderConsoleReport(report).split("\n");
    const at = (prefix: string): string => lines.find((line) => line.trimStart().startsWith(prefix)) ?? "";

    assert.match(at("min"), /^\s+min\s+mean\s+p50\s+p90\s+p95\s+p99\s+max$/);
    assert.match(at("TTFT"), /^  TTFT\s+120\.50\s+180\.25\s+170\.10\s+230\.40\s+250\.75\s+310\.20\s+330\.90$/);
    assert.match(at("E2E"), /4758\.55$/);
    const rowOrder = ["CONNECT", "TTFT", "ITL", "TPOT", "E2E", "BARGE_IN"].map((row) => lines.indexOf(at(row)));
    assert.deepEqual([...rowOrder].sort((a, b) => a - b), rowOrder);
    assert.equal(at("TTFT").length, at("E2E").length, "columns aligned");

    assert.equal(at("[total="), "  [total=5001, per_sec=269.61, source=usage, lost=3]");
    assert.ok(lines.indexOf(at("http_500")) < lines.indexOf(at("timeout")), "errors sorted by count");
    assert.match(at("http_500"), /http_500\s+4\s+8\.00%/);
    assert.match(at("long "), /long\s+20\s+90\.00%\s+1\.08\s+188\.73\s+205\.30\s+300\.20\s+4740\.10/);
    assert.match(at("✓"), /✓ ttft\.p95<2500ms\s+actual=250\.75ms/);
    assert.match(at("✗"), /✗ success_rate>0\.99\s+actual=96\.00%/);
    assert.ok(!lines.includes("Interrupted: partial results"));
  });

  it("leaves out empty sections and marks an interrupted run", () => {
    const report = sampleReport();
    report.summary.interrupted = true;
    report.latency = {};
    report.errors = {};
    report.thresholds = [];
    report.by_type = { short: report.by_type["short"]! };
    report.config = {};
    const text = renderConsoleReport(report);
    assert.match(text, /^Test interrupted\. \[total_cycles=50, duration=18\.55s\]$/m);
    assert.match(text, /REQUEST LATENCY \(ms\):\n {2}\[no data\]/);
    assert.match(text, /^ {2}TTFT(\s+-){7}$/m);
    assert.doesNotMatch(text, /ERRORS:|BY TYPE:|THRESHOLDS:|CONNECT /);
    assert.match(text, /Interrupted: partial results\n={80}\n$/);
  });

  it("colours only when asked", () => {
    assert.match(renderConsoleReport(sampleReport(), { color: true }), /\u001b\[32m✓\u001b\[39m/);
  });

  it("writes the summary to its stream at finish, uncoloured for a non-terminal", async () => {
    const stream = new PassThrough();
    const text = collect(stream);
    await new ConsoleSummaryOutput({ stream }).finish(sampleReport());
    assert.equal(text(), renderConsoleReport(sampleReport()));
  });
});

describe("JSON report file", () => {
  it("writes atomically into new folders and reads back the same report", async () => {
    const path = join(workDir, "nested", "deeper", "report.json");
    const report = sampleReport();
    await new JsonReportOutput(path).finish(report);
    assert.deepEqual(readReportFile(path), report);
    assert.deepEqual(readdirSync(join(workDir, "nested", "deeper")), ["report.json"], "no temporary file left");
    assert.match(readFileSync(path, "utf8"), /^\{\n {2}"tokenstorm": \{\n {4}"version"/);

    report.summary.requests = 7;
    await writeReportFile(path, report);
    assert.equal(readReportFile(path).summary.requests, 7);
  });

  it("fills sections an older report lacks", () => {
    const path = join(workDir, "minimal.json");
    const { tokenstorm, summary, latency } = sampleReport();
    writeFileSync(path, JSON.stringify({ tokenstorm, summary, latency }));
    const report = readReportFile(path);
    assert.deepEqual([report.errors, report.by_type, report.thresholds, report.timeline], [{}, {}, [], []]);
  });

  it("names the file in one-line errors", () => {
    const missing = join(workDir, "missing.json");
    assert.throws(() => readReportFile(missing), (err) => err instanceof UsageError && err.message === `${missing}: no such file`);

    const broken = join(workDir, "broken.json");
    writeFileSync(broken, "{ not json");
    assert.throws(() => readReportFile(broken), (err) => err instanceof UsageError && err.message.startsWith(`${broken}: invalid JSON (`));

    const foreign = join(workDir, "foreign.json");
    writeFileSync(foreign, JSON.stringify({ metrics: {} }));
    assert.throws(() => readReportFile(foreign), (err) => err instanceof UsageError && err.message.startsWith(`${foreign}: not a tokenstorm report`));
  });
});

describe("raw NDJSON output", () => {
  it("has each request on disk as a whole line before the run finishes", async () => {
    const path = join(workDir, "raw", "requests.ndjson");
    const output = new RawRequestsOutput(path);
    const first = sampleRecord({ id: 1 });
    const second = sampleRecord({ id: 2, ok: false, status: 500, error_class: "http_500", error: 'said "no"\nthen closed' });
    output.onRequest(first);
    output.onRequest(second);

    const early = await linesOnceFlushed(path, 2);
    assert.deepEqual(early.map((line) => JSON.parse(line)), [first, second]);

    output.onRequest(sampleRecord({ id: 3 }));
    await output.finish();
    const lines = readFileSync(path, "utf8").split("\n");
    assert.equal(lines.pop(), "", "ends with a newline");
    assert.deepEqual(lines.map((line) => JSON.parse(line).id), [1, 2, 3]);
  });


  it("refuses an unwritable path up front", () => {
    const folder = join(workDir, "a-folder");
    mkdirSync(folder);
    assert.throws(() => new RawRequestsOutput(folder), (err) => err instanceof RunError && err.message.startsWith(`cannot write ${folder}:`));
  });
});

describe("CSV output", () => {
  it("streams a header and RFC 4180 rows", async () => {
    const path = join(workDir, "requests.csv");
    const output = new CsvRequestsOutput(path);
    output.onRequest(sampleRecord({ id: 1 }));
    output.onRequest(sampleRecord({ id: 2, ok: false, status: null, ttft_ms: null, ttfc_ms: null, error_class: "other", error: 'bad, "quoted"\nvalue', type: "a,b" }));

    const early = await linesOnceFlushed(path, 2);
    assert.equal(early[0], CSV_COLUMNS.join(","));
    assert.equal(early[1], "1,short,0,0,12.5,true,200,,,0.02,5.1,170.1,170.1,1480.7,1480.8,10.3,10.2,100,100,usage,100,0,12,0,0");

    await output.finish();
    const text = readFileSync(path, "utf8");
    assert.ok(text.endsWith(`"bad, ""quoted""\nvalue",0.02,5.1,,,1480.7,1480.8,10.3,10.2,100,100,usage,100,0,12,0,0\n`), text);
    assert.match(text, /\n2,"a,b",0,0,12\.5,false,,other,"bad/);
    assert.equal(CSV_COLUMNS[0], "id");
    assert.equal(CSV_COLUMNS.length, Object.keys(sampleRecord()).length);
  });
});

describe("progress output", () => {
  it("formats the plain line", () => {
    assert.equal(formatProgressLine(snapshot({})), "[  5s] active=50 done=120 failed=0 rps=24.1 tok/s=2410 ttft_p50=150.2ms itl_p50=20.1ms");
    assert.equal(formatProgressLine(snapshot({ waiting_arrivals: 37 })), "[  5s] active=50 waiting=37 done=120 failed=0 rps=24.1 tok/s=2410 ttft_p50=150.2ms itl_p50=20.1ms");
    assert.equal(
      formatProgressLine(snapshot({ elapsed_s: 12.4, planned: 400, failed: 4, ttft_p50: null, errors: { timeout: 1, http_500: 3 } })),
      "[ 12s] active=50 done=120 failed=4 rps=24.1 tok/s=2410 ttft_p50=- itl_p50=20.1ms progress=31% errors=http_500:3,timeout:1",
    );
  });

  it("writes one line per interval when the stream is not a terminal", async () => {
    const stream = new PassThrough();
    const text = collect(stream);
    const output = new ProgressOutput({ stream, intervalS: 2 });
    for (const elapsed_s of [1, 2, 3, 4.1, 5, 7]) output.onTick(snapshot({ elapsed_s }));
    await output.finish();
    assert.deepEqual(
      text().split("\n").map((line) => line.slice(0, 6)),
      ["[  2s]", "[  4s]", "[  7s]", ""],
    );
    assert.match(text(), /^\[ {2}2s\] active=50 done=120 failed=0 rps=24\.1 tok\/s=2410 ttft_p50=150\.2ms itl_p50=20\.1ms$/m);
  });

  it("is silent when quiet", async () => {
    const stream = new PassThrough();
    const text = collect(stream);
    const output = new ProgressOutput({ stream, intervalS: 1, quiet: true });
    output.onTick(snapshot({ elapsed_s: 3 }));
    await output.finish();
    assert.equal(text(), "");
  });

  it("redraws a panel on a terminal and clears it at finish", async () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 100, rows: 30 });
    const text = collect(stream);
    const output = new ProgressOutput({ stream });
    output.onTick(snapshot({ elapsed_s: 1, planned: 240, errors: { timeout: 2 } }));
    output.onTick(snapshot({ elapsed_s: 2, active: 49, planned: 240 }));
    await output.finish();
    const written = text();
    assert.match(written, /tokenstorm/);
    assert.match(written, /50%/);
    assert.match(written, /active 50 {2}completed 120 {2}failed 0/);
    assert.match(written, /errors timeout 2/);
    assert.match(written, /active 49/);
    assert.match(written, /\u001b\[2K/, "erases the panel");
  });
});
