// `tokenstorm menu` driven in a real pseudo-terminal (tmux): pick the quick scenario, shorten it, see
// the command, run it, and find its report; refused without a terminal; the command it builds.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CLI, runCli, startCli, tempDir, waitForLine } from "./helpers/cli.js";
import { emulatorForSuite } from "./helpers/emulator.js";
import { freePort } from "../src/cluster/processes.js";
import { commandLine, menuRunArgs, MONITOR_DEFAULTS, monitorLine, monitorProxyArgs, shellQuote } from "../src/cli/menu-command.js";
import type { Report } from "../src/report/types.js";

test("the command shows only what differs from the scenario, quoted for a shell", () => {
  assert.deepEqual(menuRunArgs({ scenario: "quick", rps: "20", duration: "2" }), ["--scenario", "quick", "--rps", "20", "--duration", "2"]);
  assert.deepEqual(menuRunArgs({ scenario: null, loadModel: "poisson", rps: "5", duration: "60" }), ["--pattern", "poisson", "--rps", "5", "--duration", "60"]);
  assert.deepEqual(menuRunArgs({ scenario: null, loadModel: "staged", users: "4" }), ["--users", "4"]);
  assert.equal(shellQuote("it's here"), `'it'\\''s here'`);
  assert.equal(commandLine(["--target", "http://127.0.0.1:8000/v1", "--out", "my report.json"]), "tokenstorm run --target http://127.0.0.1:8000/v1 --out 'my report.json'");
});

test("without a terminal the menu refuses in one line, exit 2", async () => {
  const result = await runCli(["menu"], { cwd: tempDir() });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^tokenstorm: menu needs an interactive terminal \(stdin is not a TTY\)[^\n]*\n$/);
});

function hasTmux(): boolean {
  try {
    execFileSync("tmux", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("in a pseudo-terminal", { skip: hasTmux() ? false : "tmux is not installed" }, () => {
  const socket = `tokenstorm-menu-test-${process.pid}`;
  const cwd = tempDir();
  const tmux = (...args: string[]): string => execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  const pane = (): string => tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", "menu");

  /** Wait until the pane's last non-empty line matches: the prompt now waiting for an answer. */
  async function prompted(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = pane();
      const last = text.trimEnd().split("\n").pop() ?? "";
      if (pattern.test(last)) return text;
      if (Date.now() > deadline) assert.fail(`no prompt matching ${pattern}; the pane shows:\n${text}`);
      await sleep(100);
    }
  }

  async function answer(prompt: RegExp, text: string): Promise<void> {
    await prompted(prompt);
    if (text !== "") tmux("send-keys", "-t", "menu", "-l", text);
    tmux("send-keys", "-t", "menu", "Enter");
  }

  before(() => {
    // The shell line keeps the pane open after the menu exits, so its exit code can be read.
    const line = `'${process.execPath}' '${CLI}' menu; echo "menu exited with $?"; sleep 600`;
    tmux("new-session", "-d", "-s", "menu", "-x", "160", "-y", "50", "-c", cwd, line);
  });
  after(() => {
    try {
      tmux("kill-server");
    } catch {
      // Already gone.
    }
  });

  test("choose the quick scenario, shorten it, confirm: the run happens and writes its report", async () => {
    const menu = await prompted(/^Scenario \(number or name\) \[quick\]:$/);
    assert.match(menu, /quick\s+2-minute high-intensity test/);
    assert.match(menu, /custom\s+your own load model/);
    await answer(/^Scenario/, "quick");
    await answer(/^Target URL/, "not a url");
    await prompted(/^Target URL \(empty: the embedded emulator\):$/); // asked again, empty, after the complaint
    assert.match(pane(), /an http:\/\/ or https:\/\/ URL, or empty/);
    await answer(/^Target URL/, "");
    await answer(/^Protocol .*\[openai-chat\]:$/, "");
    await answer(/^Rate, requests\/s \[40\]:$/, "20");
    await answer(/^Duration, seconds \[120\]:$/, "1");
    await answer(/^Max concurrent requests \[60\]:$/, "");
    await answer(/^Save the report JSON to/, "menu-report.json");
    const shown = await prompted(/^Run it\? \(y\/n\) \[y\]:$/);
    assert.match(shown, /^ {2}tokenstorm run --scenario quick --rps 20 --duration 1 --out menu-report\.json$/m);
    tmux("send-keys", "-t", "menu", "y", "Enter");

    const done = await prompted(/^menu exited with \d+$/, 30_000);
    assert.match(done, /menu exited with 0/);
    assert.match(done, /LOAD TEST RESULTS/);
    const path = join(cwd, "menu-report.json");
    assert.ok(existsSync(path), done);
    const report = JSON.parse(readFileSync(path, "utf8")) as Report;
    assert.equal(report.config.scenario, "quick");
    assert.equal(report.config.durationS, 1);
    assert.equal(report.config.maxConcurrent, 60, "the scenario's own cap stays");
    assert.equal(report.summary.requests, 20, "20 requests/s for 1 s");
    assert.equal(report.summary.failed, 0);
  });
});

test("Monitor only: the proxy command it builds, and the line it prints from a proxy's /metrics", () => {
  assert.deepEqual(monitorProxyArgs(MONITOR_DEFAULTS), ["--listen", "127.0.0.1:11435", "--upstream", "http://127.0.0.1:11434", "--metrics-port", "8001", "--web"]);
  assert.equal(commandLine(monitorProxyArgs({ ...MONITOR_DEFAULTS, maxUpstream: "4" }), "proxy"), "tokenstorm proxy --listen 127.0.0.1:11435 --upstream http://127.0.0.1:11434 --metrics-port 8001 --max-upstream 4 --web");
  assert.equal(monitorLine("tokenstorm_requests_total 3\n"), null, "not a proxy");
});

describe("Monitor only, in a pseudo-terminal", { skip: hasTmux() ? false : "tmux is not installed" }, () => {
  const socket = `tokenstorm-monitor-test-${process.pid}`;
  const cwd = tempDir();
  const emulator = emulatorForSuite({ ttftMs: 5, itlMs: 5, length: 5 });
  const tmux = (...args: string[]): string => execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  const pane = (session: string): string => tmux("capture-pane", "-p", "-J", "-S", "-300", "-t", session);

  async function prompted(session: string, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = pane(session);
      const last = text.trimEnd().split("\n").pop() ?? "";
      if (pattern.test(last)) return text;
      if (Date.now() > deadline) assert.fail(`no line matching ${pattern}; the pane shows:\n${text}`);
      await sleep(100);
    }
  }

  async function answer(session: string, prompt: RegExp, text: string): Promise<void> {
    await prompted(session, prompt);
    if (text !== "") tmux("send-keys", "-t", session, "-l", text);
    tmux("send-keys", "-t", session, "Enter");
  }

  function startMenu(session: string): void {
    const line = `'${process.execPath}' '${CLI}' menu; echo "menu exited with $?"; sleep 600`;
    tmux("new-session", "-d", "-s", session, "-x", "200", "-y", "50", "-c", cwd, line);
  }

  after(() => {
    try {
      tmux("kill-server");
    } catch {
      // Already gone.
    }
  });

  test("starts a proxy when none runs, which measures traffic until Ctrl-C", async () => {
    const [listenPort, metricsPort] = [await freePort("127.0.0.1"), await freePort("127.0.0.1")];
    startMenu("start");
    const menu = await prompted("start", /^Scenario \(number or name\) \[quick\]:$/);
    assert.match(menu, /monitor\s+Monitor only: watch live traffic/);
    await answer("start", /^Scenario/, "monitor");
    await answer("start", /^Proxy listens on/, `127.0.0.1:${listenPort}`);
    await answer("start", /^Upstream URL/, emulator().url);
    await answer("start", /^Prometheus \/metrics port \[8001\]:$/, String(metricsPort));
    await answer("start", /^Max requests upstream at once/, "2");
    const shown = await prompted("start", /^Run it\? \(y\/n\) \[y\]:$/);
    assert.match(shown, new RegExp(`tokenstorm proxy --listen 127\\.0\\.0\\.1:${listenPort} --upstream ${emulator().url.replace(/\./g, "\\.")} --metrics-port ${metricsPort} --max-upstream 2 --web`));
    tmux("send-keys", "-t", "start", "y", "Enter");
    await prompted("start", /proxy listening on/, 20_000);
    const response = await fetch(`http://127.0.0.1:${listenPort}/api/chat`, { method: "POST", body: JSON.stringify({ model: "watched", messages: [{ role: "user", content: "hi" }] }) });
    assert.equal(response.status, 200);
    await response.text();
    tmux("send-keys", "-t", "start", "C-c");
    const done = await prompted("start", /menu exited with \d+$/, 30_000);
    assert.match(done, /menu exited with 0/);
    assert.match(done, /LOAD TEST RESULTS/);
  });

  test("watches a proxy that already runs on the metrics port", async () => {
    const proxy = startCli(["proxy", "--listen", "127.0.0.1:0", "--upstream", emulator().url, "--metrics-port", "0", "--quiet"], { cwd });
    const metricsPort = (await waitForLine(proxy, /metrics at http:\/\/127\.0\.0\.1:(\d+)\/metrics/, 20_000))[1]!;
    try {
      startMenu("watch");
      await answer("watch", /^Scenario/, "monitor");
      await answer("watch", /^Proxy listens on/, "");
      await answer("watch", /^Upstream URL/, "");
      await answer("watch", /^Prometheus \/metrics port/, metricsPort);
      await answer("watch", /^Max requests upstream at once/, "");
      const watching = await prompted("watch", /queue=0 queue_max=0 upstream=0 requests=0/, 15_000);
      assert.match(watching, /already serves .* watching it/);
      tmux("send-keys", "-t", "watch", "C-c");
      // The pane echoes ^C on the line the shell then writes to.
      assert.match(await prompted("watch", /menu exited with \d+$/, 10_000), /menu exited with 0/);
    } finally {
      proxy.kill("SIGKILL");
    }
  });
});
