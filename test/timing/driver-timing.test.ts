// Every streaming driver measures the timing its emulator side is set to (timing suite: the
// conformance suite checks what the drivers count and classify; this file how close their clocks
// come, with bounds widened by the event-loop delay the machine showed meanwhile, ./machine.ts).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { PROTOCOLS } from "../../src/protocols/registry.js";
import { driverOptions, runRequests } from "../helpers/driver-harness.js";
import { suiteTargetFor } from "../helpers/suite-target.js";
import { allowanceMs, describeMachine, watched } from "./machine.js";

/** Not a token stream: one answer per request, timed below. */
const ONE_ANSWER = new Set(["openai-embeddings"]);

for (const protocol of PROTOCOLS.filter((p) => !p.requests && !ONE_ANSWER.has(p.name))) {
  describe(`driver ${protocol.name} timing`, () => {
    const emulator = suiteTargetFor(protocol, { ttftMs: 30, itlMs: 5, length: 20, seed: 1, ndjsonCompletions: protocol.name === "ndjson" });

    test("ttft of about the emulator's 30 ms and inter-token gaps of about its 5 ms", async () => {
      const { result, machine } = await watched(() => runRequests(protocol, driverOptions(emulator().url), 8, 25));
      // The emulator runs in this process: its late firings are this event loop's delay.
      const slack = allowanceMs(machine, null, "max");
      const seen = describeMachine(machine);
      for (const record of result.records) {
        assert.equal(record.ok, true, record.error ?? "");
        // The first request of a connection also pays for connecting and a cold JIT.
        assert.ok(record.ttft_ms! >= 29 && record.ttft_ms! < 250 + slack, `ttft ${record.ttft_ms} (${seen})`);
        // A late read bunches tokens: the mean gap can fall below 5 ms by as much as it rose above.
        assert.ok(record.itl_mean_ms! > 4.5 - slack / 24 && record.itl_mean_ms! < 15 + slack, `itl ${record.itl_mean_ms} (${seen})`);
      }
    });
  });
}

for (const protocol of PROTOCOLS.filter((p) => p.requests)) {
  describe(`voice driver ${protocol.name} timing`, () => {
    const target = suiteTargetFor(protocol, { ttftMs: 30, itlMs: 5, length: 20, seed: 1 });

    test("first audio about the agent's 30 ms after the end of speech", async () => {
      const { result, machine } = await watched(() => runRequests(protocol, driverOptions(target().url), 4, null));
      const slack = allowanceMs(machine, null, "max");
      for (const record of result.records) {
        assert.equal(record.ok, true, record.error ?? "");
        const ttfa = record.measures?.ttfa ?? -1;
        assert.ok(ttfa >= 29 && ttfa < 250 + slack, `ttfa ${ttfa} (${describeMachine(machine)})`);
      }
    });
  });
}

for (const protocol of PROTOCOLS.filter((p) => ONE_ANSWER.has(p.name))) {
  describe(`driver ${protocol.name} timing`, () => {
    const emulator = suiteTargetFor(protocol, { ttftMs: 30, itlMs: 5, length: 20, seed: 1 });

    test("the answer about the emulator's 30 ms after the request", async () => {
      const { result, machine } = await watched(() => runRequests(protocol, driverOptions(emulator().url), 8, null));
      const slack = allowanceMs(machine, null, "max");
      for (const record of result.records) {
        assert.equal(record.ok, true, record.error ?? "");
        assert.ok(record.ttft_ms! >= 29 && record.ttft_ms! < 250 + slack, `ttft ${record.ttft_ms} (${describeMachine(machine)})`);
        assert.ok(record.e2e_ms! >= record.ttft_ms! && record.e2e_ms! < 250 + slack, `e2e ${record.e2e_ms} (${describeMachine(machine)})`);
      }
    });
  });
}
