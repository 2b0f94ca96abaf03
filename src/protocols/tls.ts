// TLS for the client drivers: `run --cacert / --insecure / --cert --key` checked and read into PEM
// text once, and the options each transport takes from it (undici's connector, ws, grpc-js), so no
// driver reads files or spells tls.connect options of its own.
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { createSecureContext, type ConnectionOptions } from "node:tls";

/** The TLS files of a run as given (paths, for the report), and whether verification is off. */
export interface TlsFiles {
  /** --cacert: PEM CA certificates trusted besides Node's own. */
  caFile: string | null;
  /** --cert / --key: the client certificate and its key (mutual TLS). */
  certFile: string | null;
  keyFile: string | null;
  /** --insecure: accept any server certificate. */
  insecure: boolean;
}

/** What the transports use: the files' PEM text. Plain data, so it crosses to worker threads too. */
export interface ClientTls {
  ca?: string;
  cert?: string;
  key?: string;
  insecure: boolean;
}

export const NO_TLS_FILES: TlsFiles = { caFile: null, certFile: null, keyFile: null, insecure: false };

/** Read one file named by `flag`; a problem line (naming the flag) instead of a throw. */
function readPem(flag: string, path: string, problems: string[]): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    problems.push(`${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return undefined;
  }
}

/**
 * Read and check the files: each readable, --cert and --key together, and the lot usable by OpenSSL
 * (a PEM that is not one, a key that does not match its certificate). Every problem is one line
 * naming its flag; `tls` is null when there is any.
 */
export function loadClientTls(files: TlsFiles): { tls: ClientTls | null; problems: string[] } {
  const problems: string[] = [];
  if (files.certFile !== null && files.keyFile === null) problems.push("--cert needs --key (the client certificate's private key)");
  if (files.keyFile !== null && files.certFile === null) problems.push("--key needs --cert (the client certificate)");
  const tls: ClientTls = { insecure: files.insecure };
  if (files.caFile !== null) tls.ca = readPem("--cacert", files.caFile, problems);
  if (files.certFile !== null) tls.cert = readPem("--cert", files.certFile, problems);
  if (files.keyFile !== null) tls.key = readPem("--key", files.keyFile, problems);
  if (problems.length > 0) return { tls: null, problems };
  if (tls.ca !== undefined) {
    // OpenSSL takes a file without any certificate in it (a key, say) as an empty list, silently.
    try {
      if (!tls.ca.includes("-----BEGIN CERTIFICATE-----")) throw new Error("no BEGIN CERTIFICATE block");
      new X509Certificate(tls.ca);
      createSecureContext({ ca: tls.ca });
    } catch (err) {
      problems.push(`--cacert: ${files.caFile} holds no usable PEM certificate (${oneLine(err)})`);
    }
  }
  if (tls.cert !== undefined && tls.key !== undefined) {
    try {
      createSecureContext({ cert: tls.cert, key: tls.key });
    } catch (err) {
      problems.push(`--cert/--key: ${files.certFile} and ${files.keyFile} are not a usable certificate and key (${oneLine(err)})`);
    }
  }
  return problems.length > 0 ? { tls: null, problems } : { tls, problems };
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0]!;
}

/** The options tls.connect takes (undici's connector, ws): CA, client certificate, verification. */
export function tlsConnectOptions(tls: ClientTls | undefined): ConnectionOptions {
  if (!tls) return {};
  const options: ConnectionOptions = {};
  if (tls.ca !== undefined) options.ca = tls.ca;
  if (tls.cert !== undefined) options.cert = tls.cert;
  if (tls.key !== undefined) options.key = tls.key;
  if (tls.insecure) options.rejectUnauthorized = false;
  return options;
}

