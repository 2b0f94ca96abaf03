// The parts of undici the HTTP drivers and the /stats reader use: its Client (one origin's
// connection), its connector and Dispatcher.request. undici's index also loads fetch, WebSocket, the
// caches, the proxy and retry agents and the mock layer, about 70 more files and some 6 MB of a
// run's peak memory; undici publishes no export map, so its own lib files are loaded by path (the
// version is pinned by package-lock.json; test/connections.test.ts, the drivers' tests and the
// emulator block of every embedded run exercise all three).
import { createRequire } from "node:module";
import type * as undici from "undici";

const require = createRequire(import.meta.url);

export const Client = require("undici/lib/dispatcher/client.js") as typeof undici.Client;
export type Client = undici.Client;
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace Client {
  export type Options = undici.Client.Options;
}
/**
 * Dispatcher.request, which undici's index installs on every dispatcher: without the index, called
 * on a Client as `request.call(client, options)`.
 */
export const request = require("undici/lib/api/api-request.js") as (
  this: undici.Dispatcher,
  options: undici.Dispatcher.RequestOptions,
) => Promise<undici.Dispatcher.ResponseData>;
export const buildConnector = require("undici/lib/core/connect.js") as typeof undici.buildConnector;
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace buildConnector {
  export type connector = undici.buildConnector.connector;
  export type CallbackArgs = undici.buildConnector.CallbackArgs;
  export type BuildOptions = undici.buildConnector.BuildOptions;
  export type Options = undici.buildConnector.Options;
  export type Callback = undici.buildConnector.Callback;
}
