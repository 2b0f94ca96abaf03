// A real redis-server for tests: on the given loopback port, no persistence, ready when it answers.
import { spawn, type ChildProcess } from "node:child_process";
import { createClient } from "redis";

export async function startRedisServer(port: number): Promise<ChildProcess> {
  const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } });
    client.on("error", () => undefined);
    if (await client.connect().then(() => true, () => false)) {
      await client.quit();
      return redis;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  redis.kill("SIGKILL");
  throw new Error(`redis-server did not come up on port ${port}`);
}
