// GET with a Host header of the test's choosing (fetch does not let one set it): for the DNS-rebinding
// guard of the live servers (/metrics, the live page), which answer only this machine's names.
import { request } from "node:http";

/** The status of GET `url` sent with `host` as its Host header. */
export function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on("error", reject);
    req.end();
  });
}
