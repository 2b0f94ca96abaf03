// Shared prefixes (`run --prefix-tokens N --prefix-groups K`, issue 17) against the emulator's prefix
// cache (issue 18): every request starts with one of K system prompts of N words, the emulator's
// prefix-cache counters see exactly the hits that traffic implies, and by_type splits by group.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadTestConfig } from "../src/api.js";
import { resolveRunConfig } from "../src/config/run-config.js";
import { wordsOf } from "../src/emulator/text.js";
import { groupOf, prefixText } from "../src/workload/shared-prefix.js";
import { requestSource } from "../src/workload/request-source.js";
import type { Report } from "../src/report/types.js";
import { runCli, tempDir } from "./helpers/cli.js";
import { emulatorForSuite } from "./helpers/emulator.js";

describe("shared prefixes: the prompts", () => {
  it("each group's prefix has exactly N words, groups differ from their first word on, and a seed fixes the draw", () => {
    for (const tokens of [1, 16, 2000]) {
      for (let group = 0; group < 4; group++) assert.equal(wordsOf(prefixText(group, tokens)).length, tokens);
    }
    assert.notEqual(wordsOf(prefixText(0, 50))[0], wordsOf(prefixText(1, 50))[0]);
    assert.equal(prefixText(3, 100), prefixText(3, 100));
    const prefix = { tokens: 10, groups: 4 };
    const draws = Array.from({ length: 400 }, (_, i) => groupOf(prefix, i % 20, Math.floor(i / 20), 7));
    assert.deepEqual(draws, Array.from({ length: 400 }, (_, i) => groupOf(prefix, i % 20, Math.floor(i / 20), 7)));
    // Every group drawn, none more than twice its share.
    for (let group = 0; group < 4; group++) {
      const count = draws.filter((g) => g === group).length;
      assert.ok(count > 0 && count < 200, `group ${group}: ${count} of 400`);
    }
  });

  it("a chat request carries the prefix as its system message, a plain prompt starts with it; the type is the group", () => {
    const config = loadTestConfig({ sharedPrefix: { tokens: 20, groups: 3 }, seed: 5 });
    assert.deepEqual(config.sharedPrefix, { tokens: 20, groups: 3 });
    const source = requestSource(config);
    const spec = source.next(0, 0);
    const group = groupOf(config.sharedPrefix!, 0, 0, 5);
    assert.equal(spec.type, `prefix-${group}`);
    assert.equal(spec.messages![0]!.role, "system");
    assert.equal(spec.messages![0]!.content, prefixText(group, 20));
    assert.equal(spec.messages![1]!.role, "user");
    assert.ok(spec.prompt.startsWith(prefixText(group, 20)));
  });

  it("bad values are reported together, each naming its flag", () => {
    const problems = (flags: Record<string, string>): string => {
      try {
        resolveRunConfig(flags, {});
      } catch (err) {
        return (err as Error).message;
      }
      return "";
    };
    const message = problems({ prefixTokens: "-3", prefixGroups: "zero" });
    assert.match(message, /--prefix-tokens must be a positive integer/);
    assert.match(message, /--prefix-groups must be a positive integer/);
    assert.match(problems({ prefixGroups: "4" }), /--prefix-groups needs --prefix-tokens/);
    assert.match(problems({ prefixTokens: "10", protocol: "realtime" }), /does not apply to --protocol realtime/);
  });
});

describe("shared prefixes against the emulator's prefix cache", () => {
  const PREFIX = 2000;
  const emulator = emulatorForSuite({ ttftMs: 1, itlMs: 1, prefixCacheTokens: 100_000, warmUp: false });

  it("--prefix-tokens 2000 --prefix-groups 4: hits / queries are exactly what the groups imply; by_type splits by group", async () => {
    const cwd = tempDir();
    // Short prompts are under one 16-token block: only the prefixes can hit.
    const result = await runCli(
      ["run", "--target", emulator().url, "--prefix-tokens", String(PREFIX), "--prefix-groups", "4", "--clients", "4", "--cycles", "5", "--length", "3", "--seed", "3", "--out", "r.json", "--no-save", "--quiet"],
      { cwd },
    );
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(readFileSync(join(cwd, "r.json"), "utf8")) as Report;
    assert.equal(report.summary.requests, 20);
    assert.equal(report.summary.failed, 0);
    const groups = Object.entries(report.by_type);
    assert.ok(groups.length > 1 && groups.every(([type]) => /^prefix-[0-3]$/.test(type)), Object.keys(report.by_type).join(","));
    const stats = (await (await fetch(`${emulator().url}/stats`)).json()) as { promptTokens: number; prefixCache: { queries: number; hits: number } };
    // Each group's first request fills the cache with its prefix; every later one finds all of it.
    const expectedHits = groups.reduce((sum, [, breakdown]) => sum + (breakdown.summary.requests - 1) * PREFIX, 0);
    assert.equal(stats.prefixCache.hits, expectedHits);
    assert.equal(stats.prefixCache.queries, stats.promptTokens);
    // The client's prompt-token figures (from usage) add up to the emulator's count.
    const tokens = report.prompts!.tokens!;
    assert.equal(tokens.count, 20);
    // (The report's prompt statistics come from a histogram of three significant digits.)
    assert.ok(Math.abs(tokens.mean * tokens.count - stats.promptTokens) <= 1e-3 * stats.promptTokens, `${tokens.mean} x ${tokens.count} vs ${stats.promptTokens}`);
    assert.ok(tokens.min > PREFIX);
  });
});
