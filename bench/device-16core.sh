#!/usr/bin/env bash
# The 16-core figures of issue 16, in one call of the device tool (see ../shared/device/README.md):
#   bash ../shared/device/pack.sh   # then copy a 1312c0f build to .device-payload/base/dist (baseline rows)
#   run: bash .device-payload/enter.sh bash bench/device-16core.sh    carry [".device-payload"], timeout_s 420
# Writes the machine's description and each section's table under $OUT. Every step is bounded.
set -u
out=${OUT:-/tmp/tokenstorm-device}
mkdir -p "$out"
{
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2" GB"}'), node $(node --version), open files $(ulimit -n)"
  echo "load before: $(cat /proc/loadavg)"
} > "$out/machine.txt"
# Before/after CPU per token on a quiet machine (the baseline build, when packed, is 1312c0f).
base=.device-payload/base/dist/src/cli/main.js
if [ -f "$base" ]; then export TOKENSTORM_BENCH_BASE_CLI=$base TOKENSTORM_BENCH_BASE_LABEL=1312c0f; fi
timeout 130 node dist/bench/run.js emulator > "$out/emulator.txt" 2>&1
unset TOKENSTORM_BENCH_BASE_CLI
# 10,000 streams at 20 ms: emulate --workers 12 against 4 bare-reader processes (1 worker for comparison).
TOKENSTORM_FLEET_WORKERS=1,12 TOKENSTORM_FLEET_STREAMS=2000,5000,10000 TOKENSTORM_FLEET_READERS=4 TOKENSTORM_FLEET_TOKENS=50 \
  timeout 110 node dist/bench/run.js fleet > "$out/fleet.txt" 2>&1
# 20,000 connections at once, two cycles: emulate --workers 10, run --workers 6.
TOKENSTORM_CONNECTIONS=20000 TOKENSTORM_FLEET_WORKERS=10 TOKENSTORM_FLEET_READERS=6 \
  timeout 120 node dist/bench/run.js connections > "$out/connections.txt" 2>&1
echo "load after: $(cat /proc/loadavg)" >> "$out/machine.txt"
cat "$out"/*.txt
