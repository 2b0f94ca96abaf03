// HAProxy in front of the cluster, as in seed 000: HTTP round-robin over the API nodes, WebSockets
// least-connections over the gateways (a WebSocket is long-lived, so connection counts are the
// load), a stats page; the gateway path on the HTTP port goes to the gateways as well. Nothing else
// is routed: the gateways' publish API is not reachable through the load balancer. Health
// checks on /health take a dead node out; a connection refused by one is redispatched to another.

export interface HaproxyPorts {
  http: number;
  ws: number;
  stats: number;
}

export interface Backend {
  name: string;
  port: number;
}

function servers(backends: Backend[], nodeHost: string): string[] {
  return backends.map((b) => `  server ${b.name} ${nodeHost}:${b.port} check inter 500ms fall 2 rise 1`);
}

export function haproxyConfig(options: { bindHost: string; nodeHost: string; ports: HaproxyPorts; api: Backend[]; gateways: Backend[] }): string {
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
    ...servers(options.api, nodeHost),
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
    ...servers(options.gateways, nodeHost),
    "",
    "frontend stats",
    `  bind ${bindHost}:${ports.stats}`,
    "  stats enable",
    "  stats uri /stats",
    "  stats refresh 5s",
    "",
  ].join("\n");
}
