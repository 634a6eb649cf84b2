/**
 * TLS towards the controller and routers (spec/protocol.md 3.2): a configured CA bundle, the
 * system roots, or "insecure" trust-on-first-use, which fetches the server's certificate chain
 * without verifying it and then pins exactly that chain (still TLS, never plaintext).
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import tls from "node:tls";
import { ConnectionError } from "@jumpstarter/lib/wire";
import { parseEnvBoolean } from "@jumpstarter/lib/config";

/** The `tls` block of client and exporter configs. */
export interface TlsOptions {
  /** Base64 of a PEM bundle; empty for the system roots. */
  ca?: string;
  insecure?: boolean;
}

function splitEndpoint(endpoint: string): { host: string; port: number } {
  const index = endpoint.lastIndexOf(":");
  if (index <= 0) return { host: endpoint, port: 443 };
  const host = endpoint.slice(0, index).replace(/^\[(.*)\]$/, "$1");
  return { host, port: Number(endpoint.slice(index + 1)) || 443 };
}

function toPem(der: Buffer): string {
  const body = der.toString("base64").match(/.{1,64}/g)?.join("\n") ?? "";
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}

/**
 * Fetches the certificate chain `endpoint` presents, unverified (5 s timeout).
 *
 * @throws {ConnectionError} when the server cannot be reached or presents none.
 */
export function fetchCertificateChain(endpoint: string, timeoutMs = 5000): Promise<string> {
  const { host, port } = splitEndpoint(endpoint);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host,
      port,
      servername: /^[\d.]+$|:/.test(host) ? undefined : host,
      rejectUnauthorized: false,
      ALPNProtocols: ["h2"],
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ConnectionError(`Cannot fetch the certificate of ${endpoint}: timed out`));
    }, timeoutMs);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      const pems: string[] = [];
      let cert = socket.getPeerCertificate(true) as tls.DetailedPeerCertificate | undefined;
      const seen = new Set<string>();
      while (cert?.raw && !seen.has(cert.fingerprint256)) {
        seen.add(cert.fingerprint256);
        pems.push(toPem(cert.raw));
        cert = cert.issuerCertificate;
      }
      socket.end();
      if (pems.length === 0) {
        reject(new ConnectionError(`Cannot fetch the certificate of ${endpoint}: none presented`));
      } else resolve(pems.join(""));
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(new ConnectionError(`Cannot reach ${endpoint}: ${error.message}`, { cause: error }));
    });
  });
}

function insecureFromEnv(): boolean {
  const env = Deno.env.toObject();
  return ["JUMPSTARTER_GRPC_INSECURE", "JMP_GRPC_INSECURE"].some((name) =>
    parseEnvBoolean(env, name) === true
  );
}

/** gRPC channel credentials for a controller or router endpoint. */
export async function channelCredentials(
  endpoint: string,
  options: TlsOptions = {},
): Promise<grpc.ChannelCredentials> {
  if (options.insecure || insecureFromEnv()) {
    const pinned = await fetchCertificateChain(endpoint);
    // the chain is pinned exactly, so the name in it need not match the address dialled
    return grpc.credentials.createSsl(Buffer.from(pinned), null, null, {
      checkServerIdentity: () => undefined,
    });
  }
  if (options.ca) return grpc.credentials.createSsl(Buffer.from(atob(options.ca)));
  return grpc.credentials.createSsl();
}
