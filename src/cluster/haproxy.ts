// HAProxy in front of the cluster, as in seed 000: HTTP round-robin over the API nodes, WebSockets
// least-connections over the gateways (a WebSocket is long-lived, so connection counts are the
// load), a stats page; the gateway path on the HTTP port goes to the gateways as well. Nothing else
// is routed: the gateways' publish API is not reachable through the load balancer. Health
// checks on /health take a dead node out; a connection refused by one is redispatched to another.
// With emulators, an LLM frontend spreads every path over them by the chosen `balance`, with
// timeouts long enough for a queued request's wait and a long stream.

export interface HaproxyPorts {
  http: number;
  ws: number;
  stats: number;
}

export interface Backend {
  name: string;
  port: number;
}

/** The LLM frontend: its port, how it balances, and the emulators behind it. */
export interface LlmFrontend {
  port: number;
  balance: string;
  emulators: Backend[];
}

/** What `--balance` takes: HAProxy's own algorithms, the hashing ones consistent; hdr(NAME) for sticky sessions. */
export const BALANCE_CHOICES = "roundrobin, leastconn, random, source, hdr(NAME)";
const HASHED = /^(source|hdr\([A-Za-z0-9!#$%&'*+.^_`|~-]+\))$/;

/** True when HAProxy takes `balance` as we write it (see BALANCE_CHOICES). */
export function isBalance(balance: string): boolean {
  return ["roundrobin", "leastconn", "random"].includes(balance) || HASHED.test(balance);
}

function balanceLines(balance: string): string[] {
  // Consistent hashing: an emulator taken out by its health check moves only its own keys elsewhere.
  return HASHED.test(balance) ? [`  balance ${balance}`, "  hash-type consistent"] : [`  balance ${balance}`];
}

function servers(backends: Backend[], nodeHost: string): string[] {
  return backends.map((b) => `  server ${b.name} ${nodeHost}:${b.port} check inter 500ms fall 2 rise 1`);
}

function sessionSections(bindHost: string, nodeHost: string, ports: HaproxyPorts, api: Backend[], gateways: Backend[]): string[] {
  if (api.length === 0 && gateways.length === 0) return [];
  return [
    "frontend api",
    `  bind ${bindHost}:${ports.http}`,
    // Only what clients need is routed: POST /api/run and /health to the API nodes, and WebSockets
    // reaching the HTTP port to the gateways (so --target alone is enough). The gateways' publish
    // API and every other path stay inside the cluster.
    "  acl gateway_path path /connection/websocket",
    "  acl run_path path /api/run",
    "  acl health_path path /health",
    "  http-request deny deny_status 404 unless gateway_path or run_path or health_path",
    "  use_backend gateway_nodes if gateway_path",
    "  default_backend api_nodes",
    "",
    "backend api_nodes",
    "  balance roundrobin",
    "  option httpchk GET /health",
    ...servers(api, nodeHost),
    "",
    "frontend websocket",
    `  bind ${bindHost}:${ports.ws}`,
    "  acl gateway_path path /connection/websocket",
    "  http-request deny deny_status 404 unless gateway_path",
    "  default_backend gateway_nodes",
    "",
    "backend gateway_nodes",
    "  balance leastconn",
    "  option httpchk GET /health",
    ...servers(gateways, nodeHost),
    "",
  ];
}

function llmSections(bindHost: string, nodeHost: string, llm: LlmFrontend | undefined): string[] {
  if (!llm) return [];
  return [
    // Every path goes through: the OpenAI, Anthropic and Ollama routes, and each instance's /metrics
    // and /stats (one instance's, whichever the balance picks: read them on the instances themselves).
    "frontend llm",
    `  bind ${bindHost}:${llm.port}`,
    // A request queued behind --max-running sends nothing for a while, then streams for minutes: the
    // client's own timeouts govern, not HAProxy's.
    "  timeout client 1h",
    // Each token leaves as soon as it arrives (no waiting to fill a packet); responses are never buffered.
    "  option http-no-delay",
    "  default_backend emulators",
    "",
    "backend emulators",
    ...balanceLines(llm.balance),
    "  timeout server 1h",
    "  option http-no-delay",
    "  option httpchk GET /health",
    ...servers(llm.emulators, nodeHost),
    "",
  ];
}

/** The ports HAProxy listens on for this cluster (its ready check waits for every one). */
export function boundPorts(ports: HaproxyPorts, session: boolean, llm: LlmFrontend | undefined): number[] {
  return [...(session ? [ports.http, ports.ws] : []), ...(llm ? [llm.port] : []), ports.stats];
}

export function haproxyConfig(options: { bindHost: string; nodeHost: string; ports: HaproxyPorts; api: Backend[]; gateways: Backend[]; llm?: LlmFrontend }): string {
  const { bindHost, nodeHost, ports } = options;
  return [
    "# Written by tokenstorm cluster up: seed 000's load balancer.",
    // No global maxconn: HAProxy derives it from the file-descriptor limit it is given.
    "global",
    // HAProxy's own log (a line per request, health-check changes) on its stdout: the log file `cluster logs` reads.
    "  log stdout format raw local0 info",
    "",
    "defaults",
    "  mode http",
    "  log global",
    "  option httplog",
    "  option redispatch",
    "  retries 3",
    "  timeout connect 2s",
    "  timeout client 120s",
    "  timeout server 120s",
    // WebSockets stay open between sessions: the tunnel timeout governs them after the upgrade.
    "  timeout tunnel 1h",
    "  timeout http-keep-alive 30s",
    "",
    ...sessionSections(bindHost, nodeHost, ports, options.api, options.gateways),
    ...llmSections(bindHost, nodeHost, options.llm),
    "frontend stats",
    `  bind ${bindHost}:${ports.stats}`,
    "  stats enable",
    "  stats uri /stats",
    "  stats refresh 5s",
    "",
  ].join("\n");
}
