// The `--help` layout of every command, by its path (`cluster up`): flag groups, most used first, and
// worked examples. Kept together so that every command's help reads alike; main.ts applies them.
import type { HelpGroup, HelpLayout } from "./help.js";
import { RUN_HELP } from "./run-help.js";

/** The top level's command groups, in the order `tokenstorm --help` lists them. */
export const COMMAND_GROUPS: readonly HelpGroup[] = [
  ["Load testing:", ["run", "sweep", "scenarios", "menu", "overhead"]],
  ["Emulated services:", ["emulate", "node", "cluster", "audio"]],
  ["Traffic of real clients:", ["proxy"]],
  ["Reports:", ["report", "compare", "merge"]],
  ["Distributed runs:", ["worker"]],
  ["Shell:", ["completion"]],
];

const STATE: HelpGroup = ["Cluster state:", ["state-dir"]];

export const HELP_LAYOUTS: Readonly<Record<string, HelpLayout>> = {
  "": {
    groups: [["Options:", ["version"]]],
    examples: [
      ["a first run: 10 clients x 5 cycles against the embedded emulator", "tokenstorm run"],
      ["your own OpenAI-compatible server for 2 minutes", "tokenstorm run --target http://127.0.0.1:8000 --model my-model --clients 64 --duration 120"],
      ["an emulated server in another terminal", "tokenstorm emulate --port 8000 --ttft-ms 150 --itl-ms 20"],
      ["the highest concurrency that keeps ttft.p95 under 500 ms", "tokenstorm sweep --target http://127.0.0.1:8000 --slo 'ttft.p95<500ms'"],
      ["two saved runs compared, exit 99 on a regression", "tokenstorm compare base.json new.json"],
      ["completion for bash, from now on", "tokenstorm completion bash >> ~/.bashrc"],
    ],
  },
  run: RUN_HELP,
  scenarios: {
    groups: [["Output:", ["json"]]],
    examples: [
      ["every scenario with its load model and flags", "tokenstorm scenarios"],
      ["the same as JSON, with where each value comes from", "tokenstorm scenarios --json"],
      ["run one", "tokenstorm run --scenario queue-stress --target http://127.0.0.1:8000"],
      ["a staged scenario with a 20 s hold instead of its 5 min", "tokenstorm run --scenario medium --duration 20"],
    ],
  },
  sweep: {
    groups: [
      ["Target:", ["target", "protocol", "model", "header", "api-key-env"]],
      ["Steps:", ["concurrency", "concurrency-start", "concurrency-step", "rates", "rps-start", "rps-step", "max-steps", "step-duration"]],
      ["SLOs:", ["slo", "stop-after"]],
      ["Workload:", ["length", "prompts", "max-concurrent", "timeout", "seed"]],
      ["Embedded emulator:", ["ttft", "delay", "emulator-*"]],
      ["Outputs:", ["out", "quiet"]],
    ],
    examples: [
      ["doubling concurrency from 1 against your server until ttft.p95 passes 500 ms", "tokenstorm sweep --target http://127.0.0.1:8000 --slo 'ttft.p95<500ms'"],
      ["given concurrency steps, 20 s each", "tokenstorm sweep --target http://127.0.0.1:8000 --concurrency 4,8,16,32 --step-duration 20 --slo 'e2e.p95<5s'"],
      ["arrival rates instead of concurrency", "tokenstorm sweep --target http://127.0.0.1:8000 --rates 5,10,20,40 --slo 'ttft.p95<500ms' --out sweep.json"],
      [
        "the embedded emulator limited to 8 generations at once: the knee is at 8",
        "tokenstorm sweep --concurrency 4,8,16 --step-duration 2 --emulator-max-running 8 --slo 'ttft.p95<250ms'",
      ],
    ],
  },
  menu: {
    groups: [],
    examples: [
      ["pick a scenario, answer a few questions, see the command and run it", "tokenstorm menu"],
      ["the same through npm", "npm run load-test"],
      ["what the menu runs, without the menu (scripts)", "tokenstorm run --scenario quick"],
      ["the list the menu offers", "tokenstorm scenarios"],
    ],
  },
  emulate: {
    groups: [
      ["Server:", ["host", "port", "workers", "instances", "model", "session", "api-key-env", "ndjson", "grpc-port"]],
      ["Timing:", ["ttft-ms", "itl-ms", "jitter", "length", "text", "extra-delay-ms", "seed"]],
      ["Capacity:", ["max-running", "max-waiting", "slowdown-under-load", "max-request-tokens", "slow-client-ms"]],
      ["Serving engine:", ["prefill-ms-per-1k", "prefix-cache-tokens", "block-size", "kv-cache-tokens", "decode-ms-per-1k-kv", "reasoning-tokens", "tool-call-rate", "tokenizer"]],
      ["Failures:", ["error-rate", "error-status", "disconnect-rate", "truncate-rate", "grpc-unavailable-rate"]],
      ["TLS and HTTP/2:", ["tls-cert", "tls-key", "tls-client-ca", "http2"]],
      ["Voice agent (realtime, grpc-voice):", ["voice-*"]],
    ],
    examples: [
      ["OpenAI, Ollama, NDJSON and realtime voice on port 8000: 20 ms to the first token, 10 ms between tokens", "tokenstorm emulate"],
      ["a saturated, jittery server: 8 generations at once, 32 queued, 429 beyond, 5% errors", "tokenstorm emulate --max-running 8 --max-waiting 32 --slowdown-under-load 0.05 --jitter 0.1 --error-rate 0.05"],
      ["a serving engine: 50 ms of prefill per 1,000 prompt tokens, a 100,000-token prefix cache, 200 reasoning tokens before each answer", "tokenstorm emulate --prefill-ms-per-1k 50 --prefix-cache-tokens 100000 --reasoning-tokens 200"],
      ["the voice agent also as a gRPC gateway", "tokenstorm emulate --grpc-port 50051 --voice-stt-ms 300 --voice-llm-ms 350"],
      ["the session protocol too; its API takes the key in $SESSION_KEY (run --protocol session --api-key-env SESSION_KEY)", "tokenstorm emulate --session --api-key-env SESSION_KEY --port 8000"],
      ["HTTPS and HTTP/2 with your certificate (run --cacert ca.pem --http2 against it)", "tokenstorm emulate --tls-cert server.pem --tls-key server.key --http2"],
    ],
  },
  audio: {
    groups: [],
    examples: [
      ["spoken queries, noise, tone and silence at 16 kHz", "tokenstorm audio create --dir ./test_audio"],
      ["at 24 kHz", "tokenstorm audio create --dir ./test_audio --rate 24000"],
      ["a voice run speaking them", "tokenstorm run --protocol realtime --audio-dir ./test_audio"],
      ["the same files from run itself", "tokenstorm run --protocol grpc-voice --create-test-audio --audio-dir ./test_audio"],
    ],
  },
  "audio create": {
    groups: [["Output:", ["dir", "rate"]]],
    examples: [
      ["16-bit PCM mono WAV files at 16 kHz", "tokenstorm audio create --dir ./test_audio"],
      ["at 24 kHz, the realtime protocol's rate", "tokenstorm audio create --dir ./test_audio --rate 24000"],
    ],
  },
  overhead: {
    groups: [
      ["Target:", ["target", "protocol", "model"]],
      ["Measurement:", ["tokens", "frequency-ms", "concurrency", "timeout"]],
      ["Pass/fail:", ["max-overhead-ms"]],
      ["Outputs:", ["out", "quiet"]],
    ],
    examples: [
      ["the embedded emulator: passes at about 0.0 ms", "tokenstorm overhead --tokens 500"],
      ["your server, 2048 tokens every 20 ms, at most 3 ms added per token", "tokenstorm overhead --target http://127.0.0.1:8000 --tokens 2048 --frequency-ms 20 --max-overhead-ms 3"],
      ["8 streams at once, limit from the environment", "TEST_RUNNER_MAX_PER_TOKEN_OVERHEAD_MS=5 tokenstorm overhead --target http://127.0.0.1:8000 --concurrency 8"],
      ["an OpenAI-compatible server, figures to a file", "tokenstorm overhead --target http://127.0.0.1:8000 --protocol openai-completions --out overhead.json"],
    ],
  },
  compare: {
    groups: [
      ["Rules:", ["threshold"]],
      ["Outputs:", ["json", "html"]],
    ],
    examples: [
      ["built-in rules: p95s +10%, throughput -10%, success rate -0.01", "tokenstorm compare base.json new.json"],
      ["your own rules on the change", "tokenstorm compare base.json new.json --threshold 'ttft.p95<+10%' --threshold 'tokens_per_sec>-5%'"],
      ["both runs' charts overlaid", "tokenstorm compare base.json new.json --html compare.html"],
      ["the comparison as JSON", "tokenstorm compare base.json new.json --json diff.json"],
    ],
  },
  merge: {
    groups: [
      ["Outputs:", ["out", "quiet"]],
      ["Thresholds:", ["threshold"]],
    ],
    examples: [
      ["two halves of one test run on two machines", "tokenstorm run --segment 1/2 --out a.json   # and --segment 2/2 --out b.json elsewhere"],
      ["merged into one report", "tokenstorm merge a.json b.json --out merged.json"],
      ["with a gate on the merged figures", "tokenstorm merge a.json b.json --threshold 'ttft.p95<2500ms'"],
      ["only the file, no console summary", "tokenstorm merge a.json b.json --out merged.json --quiet"],
    ],
  },
  worker: {
    groups: [
      ["Controller:", ["redis", "name", "once", "give-up-after"]],
      ["Outputs:", ["raw"]],
    ],
    examples: [
      ["a worker on each load machine", "tokenstorm worker --redis redis://10.0.0.5:6379"],
      ["the controller: split the run over 4 of them, one merged report", "tokenstorm run --redis redis://10.0.0.5:6379 --expect-workers 4 --clients 400 --duration 60"],
      ["one run and exit (a Kubernetes Job)", "tokenstorm worker --redis redis://redis:6379 --once --name job-1"],
      ["keep the raw per-request lines on the worker", "tokenstorm worker --redis redis://10.0.0.5:6379 --raw requests.ndjson"],
    ],
  },
  report: {
    groups: [["Outputs:", ["html"]]],
    examples: [
      ["a saved run as a single-file HTML report", "tokenstorm report tokenstorm-results/<time>/report.json --html report.html"],
      ["the report of a merged run", "tokenstorm report merged.json --html merged.html"],
      ["the same page straight from a run", "tokenstorm run --html report.html"],
      ["two runs overlaid", "tokenstorm compare base.json new.json --html compare.html"],
    ],
  },
  proxy: {
    groups: [
      ["Traffic:", ["listen", "upstream", "max-upstream", "max-queue", "idle-timeout", "graceful-stop", "duration"]],
      ["Outputs:", ["out", "html", "raw", "quiet"]],
      ["Observability:", ["metrics-port", "metrics-host", "web", "web-port", "web-host", "allowed-host"]],
    ],
    examples: [
      ["measure the traffic your clients send to a server", "tokenstorm proxy --listen 127.0.0.1:8001 --upstream http://127.0.0.1:8000"],
      ["at most 8 requests upstream at once, the rest queued", "tokenstorm proxy --upstream http://127.0.0.1:8000 --max-upstream 8 --max-queue 64"],
      ["a 10-minute session with a report and a live page", "tokenstorm proxy --upstream http://127.0.0.1:8000 --duration 600 --out proxy.json --web"],
      ["Prometheus metrics of the traffic", "tokenstorm proxy --upstream http://127.0.0.1:8000 --metrics-port 9464"],
    ],
  },
  cluster: {
    groups: [],
    examples: [
      ["2 API and 2 gateway nodes, Redis, HAProxy on 9000 / 9001 / 8404", "tokenstorm cluster up"],
      [
        "load through HAProxy",
        "tokenstorm run --protocol session --target http://127.0.0.1:9000 --ws-target ws://127.0.0.1:9001/connection/websocket --clients 50 --cycles 5",
      ],
      ["what runs, and the nodes' stats", "tokenstorm cluster status"],
      ["follow one service's log", "tokenstorm cluster logs granian1 --follow"],
      ["stop everything it started", "tokenstorm cluster down"],
    ],
  },
  "cluster up": {
    groups: [
      ["Nodes:", ["api-nodes", "servers", "ws-nodes", "session", "host"]],
      ["Emulated LLM servers:", ["emulators", "emulator-args", "llm-port", "balance"]],
      ["Redis:", ["redis", "redis-port"]],
      ["HAProxy:", ["haproxy", "http-port", "ws-port", "stats-port"]],
      ["Node defaults:", ["length", "delay", "ttft", "ping-interval", "log-level"]],
      STATE,
    ],
    examples: [
      ["2 API and 2 gateway nodes, a local Redis, HAProxy in front", "tokenstorm cluster up"],
      ["4 of each, with an existing Redis", "tokenstorm cluster up --api-nodes 4 --ws-nodes 4 --redis redis://127.0.0.1:6379"],
      ["no HAProxy, other ports for a second cluster", "tokenstorm cluster up --no-haproxy --state-dir ./cluster-b"],
      ["3 emulated LLM servers only, round-robin behind http://127.0.0.1:8000", "tokenstorm cluster up --no-session --emulators 3 --emulator-args \"--ttft-ms 150 --itl-ms 20\""],
      [
        "a router test: 4 emulators with prefix caches, sticky by a session header",
        "tokenstorm cluster up --no-session --emulators 4 --balance 'hdr(x-session-id)' --emulator-args \"--prefix-cache-tokens 100000 --prefill-ms-per-1k 50\"",
      ],
    ],
  },
  "cluster status": {
    groups: [STATE],
    examples: [
      ["processes, health and stats of the cluster here", "tokenstorm cluster status"],
      ["of another one", "tokenstorm cluster status --state-dir ./cluster-b"],
    ],
  },
  "cluster logs": {
    groups: [["Logs:", ["lines", "follow"]], STATE],
    examples: [
      ["the end of every log", "tokenstorm cluster logs"],
      ["one service (api1 or granian1, gateway1 or centrifugo_node1, emulator1, redis, haproxy)", "tokenstorm cluster logs haproxy --lines 200"],
      ["follow the first API node as requests arrive", "tokenstorm cluster logs granian1 -f"],
    ],
  },
  "cluster down": {
    groups: [STATE],
    examples: [
      ["stop what `cluster up` started, and nothing else", "tokenstorm cluster down"],
      ["another cluster", "tokenstorm cluster down --state-dir ./cluster-b"],
    ],
  },
  node: {
    groups: [
      ["Node:", ["role", "host", "port"]],
      ["Broker:", ["redis", "centrifugo", "centrifugo-key-env"]],
      ["Security:", ["api-key-env", "token-secret-env"]],
      ["Defaults:", ["length", "delay", "ttft", "ping-interval", "precise-timing"]],
      ["Logging:", ["log-level"]],
    ],
    examples: [
      ["one process that is both API and gateway, with an in-process broker", "tokenstorm node --role all --port 8000"],
      ["an API node publishing through Redis", "tokenstorm node --role api --port 9100 --redis redis://127.0.0.1:6379"],
      ["a gateway node on the same Redis, delivering to WebSocket clients", "tokenstorm node --role gateway --port 9200 --redis redis://127.0.0.1:6379"],
      ["an API node publishing to a real Centrifugo", "CENTRIFUGO_KEY=secret tokenstorm node --role api --centrifugo http://127.0.0.1:8000 --centrifugo-key-env CENTRIFUGO_KEY"],
      ["load on the all-in-one node", "tokenstorm run --protocol session --target http://127.0.0.1:8000 --clients 10 --cycles 5"],
    ],
  },
  completion: {
    groups: [],
    examples: [
      ["bash, from the next shell on", "tokenstorm completion bash >> ~/.bashrc"],
      ["zsh (a folder on $fpath)", "tokenstorm completion zsh > ~/.zfunc/_tokenstorm"],
      ["fish", "tokenstorm completion fish > ~/.config/fish/completions/tokenstorm.fish"],
      ["this shell only", "source <(tokenstorm completion bash)"],
    ],
  },
};
