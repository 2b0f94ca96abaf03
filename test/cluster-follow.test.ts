// `cluster logs -f` over real log files: the follow starts where the printed tails end, so a line
// written between printing the tails and following (a busy machine can put milliseconds there) is
// printed once, and a line still being written when the tails were read is printed once it ends.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { followLogs } from "../src/cluster/follow.js";
import { logTails } from "../src/cluster/manage.js";
import type { ManagedProcess } from "../src/cluster/processes.js";
import { tempDir } from "./helpers/cli.js";

function processWithLog(name: string, log: string): ManagedProcess {
  return { name, kind: "api", pid: 0, log, signature: [] };
}

test("a line written between the tails and the follow is printed once; a partial line once it ends", async () => {
  const dir = tempDir();
  const api1 = processWithLog("api1", join(dir, "api1.log"));
  writeFileSync(api1.log, "old 1\nold 2\nhalf of a li");
  const tails = logTails([api1], 1);
  assert.deepEqual(tails.lines, [`==> api1 (${api1.log}) <==`, "old 2", ""]);
  // Written after the tails were read, before the follow starts: the race a loaded machine hit.
  appendFileSync(api1.log, "ne\nbetween\n");
  const printed: string[] = [];
  const stop = new AbortController();
  const following = followLogs([api1], (text) => printed.push(text), stop.signal, tails.ends, 10);
  appendFileSync(api1.log, "after\n");
  const deadline = Date.now() + 10_000;
  while (!printed.join("").includes("after\n") && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  stop.abort();
  await following;
  assert.equal(printed.join(""), "half of a line\nbetween\nafter\n");
});

test("an empty or missing log tails as (empty) and is followed from its start", async () => {
  const dir = tempDir();
  const redis = processWithLog("redis", join(dir, "redis.log"));
  const tails = logTails([redis], 5);
  assert.deepEqual(tails.lines, [`==> redis (${redis.log}) <==`, "(empty)", ""]);
  assert.deepEqual(tails.ends, [0]);
  const printed: string[] = [];
  const stop = new AbortController();
  const following = followLogs([redis], (text) => printed.push(text), stop.signal, tails.ends, 10);
  writeFileSync(redis.log, "ready\n");
  const deadline = Date.now() + 10_000;
  while (printed.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  stop.abort();
  await following;
  assert.equal(printed.join(""), "ready\n");
});
