// The layout of `tokenstorm run --help`: its hundred flags in the groups a user looks for, the most
// used first, and the runs people start with.
import type { HelpLayout } from "./help.js";

export const RUN_HELP: HelpLayout = {
  groups: [
    ["Target:", ["target", "protocol", "model", "header", "api-key-env", "token-secret-env", "ws-target", "server", "config", "emulator-stats"]],
    [
      "Load model:",
      [
        "clients", "cycles", "max-concurrent", "concurrent", "duration", "requests", "scenario",
        "users", "ramp-up", "hold", "ramp-down", "think-time",
        "pattern", "rps", "burstiness", "rps-start", "burst-size", "burst-every",
        "spike-multiplier", "spike-every", "spike-duration", "steps", "queue-when-full", "concurrency",
      ],
    ],
    ["Workload:", ["prompts", "dataset", "trace", "trace-speedup", "tokenizer", "input-tokens", "output-tokens", "random-range-ratio", "ignore-eos", "prefix-tokens", "prefix-groups", "turns", "turn-think-time", "session-header", "length", "delay", "ttft", "seed", "emulator-workers"]],
    ["Outputs:", ["out", "html", "raw", "csv", "output", "output-raw", "save", "quiet", "verbose", "debug"]],
    ["Thresholds:", ["threshold", "goodput", "allow-failures"]],
    ["Observability:", ["prometheus-port", "prometheus-host", "web", "web-port", "web-host", "linger", "allowed-host"]],
    [
      "Voice (realtime, grpc-voice):",
      [
        "simple", "tools", "interruptions", "false-alarms", "audio-dir", "create-test-audio", "targets",
        "turn-detection", "tool-latency", "speech-pacing", "proto", "service", "grpc-unavailable-rate", "voice-*",
      ],
    ],
    ["Embeddings (openai-embeddings):", ["batch-size", "dimensions"]],
    ["TLS and HTTP/2:", ["cacert", "insecure", "cert", "key", "http2", "max-connections"]],
    ["Distributed:", ["workers", "segment", "redis", "expect-workers", "register-timeout"]],
    ["Advanced:", ["timeout", "connect-timeout", "idle-timeout", "handshake-timeout", "graceful-stop", "usage", "exact-tokens", "max-line-bytes"]],
  ],
  examples: [
    ["10 clients x 5 cycles against the embedded emulator", "tokenstorm run"],
    [
      "your OpenAI-compatible server, 64 streams for 2 minutes, report to a file",
      "tokenstorm run --target http://127.0.0.1:8000 --model my-model --clients 64 --duration 120 --out report.json",
    ],
    [
      "25 requests/s for 500 requests, at most 100 in flight, short and medium prompts",
      "tokenstorm run --pattern constant --rps 25 --concurrent 100 --requests 500 --prompts short medium",
    ],
    ["20 users started over 30 s, held 5 min, stopped over 30 s", "tokenstorm run --users 20 --ramp-up 30 --hold 300 --ramp-down 30"],
    ["a CI gate: exit 99 when time to first token or success rate misses", "tokenstorm run --threshold 'ttft.p95<2500ms' --threshold 'success_rate>0.99'"],
    ["the report JSON on standard output, for jq", "tokenstorm run --out - --quiet | jq .summary"],
  ],
};
