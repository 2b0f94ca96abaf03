// Redis connections for controllers and workers: bounded reconnect attempts so a wrong URL is a
// clear error instead of a hang, and messages read from / written to streams as typed JSON.
import { createClient } from "redis";
import { RunError } from "../errors.js";
import { MESSAGE_FIELD } from "./redis-keys.js";

export type RedisClient = ReturnType<typeof createClient>;

/**
 * Connect, retrying for about `patienceS` seconds (Redis may come up after us, e.g. on Kubernetes).
 * Once connected, a lost connection is retried for ever with backoff, and commands fail at once
 * while it is down instead of waiting in a queue: the caller decides how long to keep trying (a
 * queued command would wait for ever, and a signal with it).
 */
export async function connectRedis(url: string, patienceS: number): Promise<RedisClient> {
  let connected = false;
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 5000,
      reconnectStrategy: (retries: number) => {
        if (connected) return Math.min(100 * 2 ** retries, 2000);
        return retries * 500 > patienceS * 1000 ? new Error("gave up reconnecting") : 500;
      },
    },
  });
  let lastError: Error | null = null;
  client.on("error", (err: Error) => (lastError = err));
  try {
    await client.connect();
  } catch (err) {
    const cause = lastError ?? (err as Error);
    throw new RunError(`cannot reach Redis at ${new URL(url).host}: ${cause.message || String(cause)}`);
  }
  connected = true;
  return client;
}

/** Close a connection: politely when Redis is there, at once when it is not (QUIT would never be answered). */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (client.isReady) await client.quit().catch(() => client.destroy());
  else if (client.isOpen) client.destroy();
}

/**
 * Waits `ms`, or less when `stop()` turns true (checked every 100 ms): backoff that a signal cuts short.
 */
export async function pause(ms: number, stop: () => boolean = () => false): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end && !stop(); ) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(100, end - Date.now())));
  }
}

export function encode(message: unknown): Record<string, string> {
  return { [MESSAGE_FIELD]: JSON.stringify(message) };
}

/**
 * Read entries after `lastId` from a stream, blocking up to `blockMs`; returns the messages and the
 * id to read from next time.
 */
export async function readStream<T>(client: RedisClient, key: string, lastId: string, blockMs: number): Promise<{ messages: T[]; lastId: string }> {
  const reply = (await client.xRead({ key, id: lastId }, { BLOCK: blockMs, COUNT: 1000 })) as Array<{
    messages: Array<{ id: string; message: Record<string, string> }>;
  }> | null;
  const messages: T[] = [];
  let next = lastId;
  for (const entry of reply?.[0]?.messages ?? []) {
    next = entry.id;
    const text = entry.message[MESSAGE_FIELD];
    if (text !== undefined) messages.push(JSON.parse(text) as T);
  }
  return { messages, lastId: next };
}
