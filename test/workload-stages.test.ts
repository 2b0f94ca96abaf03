// Staged closed model (seed 002): flag validation, the duration its stages imply, and a run against
// the emulator whose timeline shows users rising linearly over the ramp-up, held, then falling.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { emulatorForSuite } from "./helpers/emulator.js";
import { resolveRunConfig, type RawRunFlags } from "../src/config/run-config.js";
import { runLoadTest } from "../src/engine/load-test.js";
import { UsageError } from "../src/errors.js";
import type { LiveSnapshot, Output } from "../src/report/output.js";
import { formatProgressLine } from "../src/report/progress.js";
import type { TimelinePoint } from "../src/report/types.js";

function problemsOf(flags: RawRunFlags): string {
  try {
    resolveRunConfig(flags, {});
  } catch (err) {
    assert.ok(err instanceof UsageError, String(err));
    return err.message;
  }
  assert.fail("expected a UsageError");
}

describe("staged model flags", () => {
  test("stages set the duration, seed 002's 1 s think time and a cap of one request per user", () => {
    const config = resolveRunConfig({ users: "20", rampUp: "5", hold: "5", rampDown: "3" }, {});
    assert.deepEqual(config.stages, { users: 20, rampUpS: 5, holdS: 5, rampDownS: 3 });
    assert.equal(config.durationS, 13);
    assert.equal(config.thinkTimeS, 1);
    assert.equal(config.maxConcurrent, 20);
    assert.equal(config.pattern, null);
  });

  test("--duration is the hold between ramp-up and ramp-down (-d on the voice command line), also over a scenario's", () => {
    const held = resolveRunConfig({ users: "5", rampUp: "10", duration: "30" }, {});
    assert.deepEqual(held.stages, { users: 5, rampUpS: 10, holdS: 30, rampDownS: 0 });
    assert.equal(held.durationS, 40);
    const light = resolveRunConfig({ scenario: "light", users: "6", rampUp: "6", duration: "14" }, {});
    assert.deepEqual(light.stages, { users: 6, rampUpS: 6, holdS: 14, rampDownS: 0 });
    assert.equal(light.durationS, 20);
    assert.deepEqual(resolveRunConfig({ users: "5", hold: "7", duration: "7" }, {}).stages, { users: 5, rampUpS: 0, holdS: 7, rampDownS: 0 });
    assert.match(problemsOf({ users: "5", rampUp: "10", hold: "60", duration: "2" }), /--hold and --duration are the same setting with --users/);
    assert.match(problemsOf({ users: "5", duration: "soon" }), /--duration must be/);
    assert.equal(resolveRunConfig({ users: "5", hold: "3", thinkTime: "0" }, {}).thinkTimeS, 0);
  });

  test("every problem is reported at once, naming its flag", () => {
    const message = problemsOf({ users: "0", rampUp: "-1", hold: "x", clients: "3" });
    assert.match(message, /--users must be a positive integer \(got "0"\)/);
    assert.match(message, /--ramp-up must be a number >= 0 \(got "-1"\)/);
    assert.match(message, /--hold must be a number >= 0 \(got "x"\)/);
    assert.match(message, /--clients is for the closed model/);
    assert.match(problemsOf({ rampUp: "5", rampDown: "2" }), /--ramp-up needs --users.*--ramp-down needs --users/);
    assert.match(problemsOf({ users: "5", pattern: "constant", rps: "5", duration: "1" }), /--users \(staged model\) and --pattern constant/);
    assert.match(problemsOf({ users: "5" }), /--users needs --hold, --ramp-up, --ramp-down or --duration/);
  });
});

describe("staged model run", () => {
  const emulator = emulatorForSuite({ ttftMs: 20, itlMs: 2 });

  test("--users 20 --ramp-up 5: users rise by 4 a second, hold at 20, fall over the ramp-down", async () => {
    const config = resolveRunConfig(
      { target: emulator().url, users: "20", rampUp: "5", hold: "1", rampDown: "2", thinkTime: "0.1", length: "10", quiet: true },
      {},
    );
    const live: LiveSnapshot[] = [];
    const capture: Output = { name: "capture", onTick: (snapshot) => live.push(snapshot), finish: () => Promise.resolve() };
    const { report, exitCode } = await runLoadTest({ config, outputs: [capture] });
    assert.equal(exitCode, 0);
    assert.equal(report.summary.failed, 0);
    assert.ok(report.summary.requests > 100, `requests ${report.summary.requests}`);
    assert.match(String(report.config.load_model), /^staged: 20 users, ramp-up 5s, hold 1s, ramp-down 2s/);
    assert.equal(report.config.users, 20);

    // The plan: user k starts at (k + 0.5) / 20 of the 5 s ramp-up, and the last started stops first
    // at (j + 0.5) / 20 of the 2 s ramp-down that begins at 6 s.
    const planned = (t: number): number => {
      const started = Math.min(20, Math.max(0, Math.floor(t / 0.25 - 0.5) + 1));
      const stopped = t < 6 ? 0 : Math.min(20, Math.max(0, Math.floor((t - 6) / 0.1 - 0.5) + 1));
      return started - stopped;
    };
    const points = (from: number, to: number): TimelinePoint[] => report.timeline.filter((p) => p.t_s > from && p.t_s < to);
    const rampUp = points(0.3, 4.9);
    assert.ok(rampUp.length >= 3, `ramp-up seconds: ${JSON.stringify(report.timeline.map((p) => p.t_s))}`);
    // Each second closes close to a whole second, where 4 more users are running than a second before.
    for (const point of rampUp) {
      const users = point.active_users!;
      assert.ok(Math.abs(users - planned(point.t_s)) <= 1, `t=${point.t_s}s: ${users} users, planned ${planned(point.t_s)}`);
      assert.ok(Math.abs(users - 4 * point.t_s) <= 2, `t=${point.t_s}s: ${users} users, not rising by 4 a second`);
    }
    for (const point of points(5.1, 5.9)) assert.equal(point.active_users, 20, `hold at ${point.t_s}s`);
    // Ramp-down: a stopping user finishes the request it is in, so a few may linger briefly.
    const falling = points(6.2, 7.9);
    for (const point of falling) {
      const users = point.active_users!;
      assert.ok(users >= planned(point.t_s) - 1 && users <= planned(point.t_s) + 3, `t=${point.t_s}s: ${users} users, planned ${planned(point.t_s)}`);
    }
    const rampDown = report.timeline.filter((p) => p.t_s >= 6).map((p) => p.active_users!);
    for (let i = 1; i < rampDown.length; i++) assert.ok(rampDown[i]! <= rampDown[i - 1]!, `users rose during the ramp-down: ${rampDown}`);
    assert.equal(rampDown.at(-1), 0);
    // The live view shows the users too.
    const peak = live.find((snapshot) => snapshot.active_users === 20);
    assert.ok(peak, `live users: ${live.map((snapshot) => snapshot.active_users)}`);
    assert.match(formatProgressLine(peak), /^\[ *\d+s\] users=20 active=\d+ /);
    assert.ok(report.summary.duration_s >= 7.5 && report.summary.duration_s < 9.5, `duration ${report.summary.duration_s}`);
  });
});

describe("stopping at the end of the stages", () => {
  // Each request takes 3 s to its first token: longer than the whole run.
  const slow = emulatorForSuite({ ttftMs: 3000, itlMs: 1 });

  test("requests still in flight get --graceful-stop, then are cancelled (not counted as failures)", async () => {
    for (const flags of [{ users: "2", hold: "0.5" }, { clients: "2", duration: "0.5" }]) {
      const config = resolveRunConfig({ target: slow().url, ...flags, gracefulStop: "0.3", length: "5", quiet: true }, {});
      const { report } = await runLoadTest({ config });
      assert.ok(report.summary.duration_s >= 0.75 && report.summary.duration_s < 2, `${JSON.stringify(flags)}: ran ${report.summary.duration_s}s`);
      assert.equal(report.summary.cancelled, 2, JSON.stringify(flags));
      assert.equal(report.summary.failed, 0);
    }
  });
});
