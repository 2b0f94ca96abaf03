// `tokenstorm node`: one session node (seed 000) in the foreground: an API node, a gateway node or
// both, linked by Redis or publishing to a Centrifugo. `cluster up` starts these as child processes;
// people start them by hand on other machines, or one `--role all` node as a single session gateway.
import { type Command, Option } from "commander";
import { type NodeFlags, resolveNodeOptions } from "../cluster/node-options.js";
import { startSessionNode } from "../protocols/session/node.js";

export function registerNodeCommand(program: Command): void {
  program
    .command("node")
    .description("run one session node in the foreground: an API node (POST /api/run), a WebSocket gateway, or both (--role all, the default)")
    .addOption(new Option("--role <role>", "api (POST /api/run), gateway (WebSocket) or all").default(undefined))
    .option("--host <host>", "interface to listen on (default 127.0.0.1)")
    .option("--port <port>", "port to listen on (default: a free one)")
    .option("--redis <url>", "Redis pub/sub between API and gateway nodes")
    .option("--centrifugo <url>", "API node: publish through this Centrifugo's HTTP API instead")
    .option("--centrifugo-key-env <var>", "environment variable holding Centrifugo's API key")
    .option("--api-key-env <var>", "require this key on POST /api/run and /api/publish ('Authorization: apikey KEY' or X-API-Key)")
    .option("--token-secret-env <var>", "gateway: require a connection token (HS256 JWT) signed with the secret in this variable")
    .option("--length <n>", "default tokens per run (default 100)")
    .option("--delay <s>", "default seconds between tokens (default 0.01)")
    .option("--ttft <s>", "default seconds before the first token (default: --delay)")
    .option("--ping-interval <s>", "gateway: seconds between server pings (default 25)")
    .option("--precise-timing", "pace tokens with the timing wheel (exact, but polls)")
    .option("--log-level <level>", "warn: errors only; info: also a line per request and WebSocket upgrade (default warn)")
    .action(async (flags: NodeFlags) => {
      const options = resolveNodeOptions(flags);
      const node = await startSessionNode(options);
      process.stdout.write(`tokenstorm node: ${options.role} node (${options.broker.kind} broker) listening on ${node.url}\n`);
      const stop = (): void => {
        void node.close().then(() => process.exit(0));
      };
      process.once("SIGTERM", stop);
      process.once("SIGINT", stop);
    });
}
