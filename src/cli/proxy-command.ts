// Registration of `tokenstorm proxy` (flags and help); the proxy's modules are loaded only when the
// command runs (src/cli/proxy.ts).
import type { Command } from "commander";
import { collect } from "./repeatable.js";

export interface ProxyFlags {
  listen?: string;
  upstream?: string;
  metricsPort?: string;
  metricsHost?: string;
  maxUpstream?: string;
  maxQueue?: string;
  idleTimeout?: string;
  gracefulStop?: string;
  duration?: string;
  web?: boolean;
  webPort?: string;
  webHost?: string;
  allowedHost?: string[];
  raw?: string;
  out?: string;
  html?: string;
  quiet?: boolean;
}

/** Seed 001's monitoring proxy in front of Ollama. */
export const DEFAULT_LISTEN = "127.0.0.1:11435";
export const DEFAULT_UPSTREAM = "http://127.0.0.1:11434";

export function registerProxyCommand(program: Command): void {
  program
    .command("proxy")
    .description("a streaming reverse proxy that measures live traffic (TTFT, ITL, queue) by model and route")
    .option("--listen <host:port>", `where clients connect (default ${DEFAULT_LISTEN})`)
    .option("--upstream <url>", `the service the traffic goes to (default ${DEFAULT_UPSTREAM})`)
    .option("--metrics-port <port>", "serve Prometheus /metrics on this port (0: a free one)")
    .option("--metrics-host <host>", "address of /metrics (default 127.0.0.1)")
    .option("--max-upstream <n>", "at most N requests upstream at once; the rest wait in a FIFO at the proxy (default: no limit)")
    .option("--max-queue <n>", "requests that may wait for an upstream slot; beyond, 429 (default 1000)")
    .option("--idle-timeout <s>", "end a request whose upstream sends nothing for this long, seconds (default 300; 0: never)")
    .option("--graceful-stop <s>", "on Ctrl-C or --duration, how long streams in flight may finish, seconds (default 30)")
    .option("-d, --duration <s>", "stop after this many seconds (default: until Ctrl-C)")
    .option("--web", "serve the live chart page with the queue panel")
    .option("--web-port <port>", "port of the live page (default: a free one)")
    .option("--web-host <host>", "address of the live page (default 127.0.0.1)")
    .option("--allowed-host <name>", "a host name /metrics and the live page answer besides IP addresses and localhost (repeatable; '*': any; guards against DNS rebinding)", collect)
    .option("--raw <file>", "one NDJSON line per finished request, the run's raw format (`tokenstorm report FILE --html` reads it)")
    .option("--out <file>", "write the session's report JSON here when it stops")
    .option("--html <file>", "write the single-file HTML report here when it stops")
    .option("--quiet", "no live progress")
    .action(async (flags: ProxyFlags) => {
      const { proxyCommand } = await import("./proxy.js");
      process.exitCode = await proxyCommand(flags);
    });
}
