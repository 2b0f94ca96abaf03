// HAProxy in front of the cluster, as in seed 000: HTTP round-robin over the API nodes, WebSockets
// least-connections over the gateways (a WebSocket is long-lived, so connection counts are the
// load), a stats page; the gateway path on the HTTP port goes to the gateways as well. Health
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
    "",
    "defaults",
    "  mode http",
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
    // WebSockets reaching the HTTP port go to the gateways too, so --target alone is enough.
    "  acl gateway_path path_beg /connection/websocket",
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
