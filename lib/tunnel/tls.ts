/**
 * TLS towards the controller and routers (spec/protocol.md 3.2): a configured CA bundle, the
 * system roots, or "insecure" trust-on-first-use, which fetches the server's certificate chain
 * without verifying it and then pins exactly that chain (still TLS, never plaintext).
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import tls from "node:tls";
import { ConnectionError, JumpstarterError } from "@jumpstarter/lib/wire";
import {
  formatHostPort,
  type HostPort,
  parseEnvBoolean,
  parseGrpcTarget,
} from "@jumpstarter/lib/config";

/** The `tls` block of client and exporter configs. */
export interface TlsOptions {
  /** Base64 of a PEM bundle; empty for the system roots. */
  ca?: string;
  insecure?: boolean;
}

function toPem(der: Uint8Array): string {
  // Deno's peer certificate `raw` is a plain Uint8Array, whose toString ignores "base64"
  const body = Buffer.from(der).toString("base64").match(/.{1,64}/g)?.join("\n") ?? "";
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}

/**
 * Fetches the certificate chain `endpoint` presents, unverified (5 s timeout). For a gRPC target
 * naming several addresses (`ipv4:IP:PORT,IP:PORT`), the chains of all that answer, so that each
 * replica's is trusted when the channel fails over to it.
 *
 * @throws {ConnectionError} when no address can be reached or presents a certificate.
 */
export async function fetchCertificateChain(endpoint: string, timeoutMs = 5000): Promise<string> {
  const addresses = parseGrpcTarget(endpoint).addresses;
  if (addresses.length <= 1) return await fetchChain(endpoint, addresses[0], timeoutMs);
  // each address is named on its own: the whole target would not say which one failed how
  const chains = await Promise.allSettled(
    addresses.map((address) => fetchChain(formatHostPort(address), address, timeoutMs)),
  );
  const fetched = chains.flatMap((chain) => chain.status === "fulfilled" ? [chain.value] : []);
  if (fetched.length === 0) {
    const errors = chains.map((chain) => (chain as PromiseRejectedResult).reason as Error);
    throw new ConnectionError(
      `No address of ${endpoint} presented a certificate: ${
        errors.map((error) => error.message).join("; ")
      }`,
      { cause: new AggregateError(errors) },
    );
  }
  const certificates = fetched.flatMap((chain) =>
    chain.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/g) ?? []
  );
  return [...new Set(certificates)].join("");
}

function fetchChain(
  endpoint: string,
  address: HostPort | undefined,
  timeoutMs: number,
): Promise<string> {
  if (!address) {
    return Promise.reject(new ConnectionError(`Cannot fetch the certificate of ${endpoint}`));
  }
  const { host, port } = address;
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host,
      port,
      ...(isIP(host) ? {} : { servername: host }),
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

/**
 * Whether `endpoint` completes a TLS handshake (its certificate unchecked): tells a plaintext
 * client that failed why.
 */
export async function speaksTls(endpoint: string, timeoutMs = 2000): Promise<boolean> {
  try {
    await fetchCertificateChain(endpoint, timeoutMs);
    return true;
  } catch {
    return false;
  }
}

function insecureFromEnv(): boolean {
  const env = Deno.env.toObject();
  return ["JUMPSTARTER_GRPC_INSECURE", "JMP_GRPC_INSECURE"].some((name) =>
    parseEnvBoolean(env, name) === true
  );
}

/**
 * `grpc.credentials.createSsl` that also works for an IP-literal endpoint. grpc-js always sends
 * the host as the TLS server name, which RFC 6066 forbids for IP addresses and Deno refuses
 * ("options.servername must not be an IP address"), hiding the real outcome of every handshake.
 * For an IP the server name is left out; the TLS layer then checks the IP against the
 * certificate's IP SANs (or `verify.checkServerIdentity` decides, when given).
 */
export function sslCredentials(
  rootCerts: Buffer | null,
  verify?: grpc.VerifyOptions,
): grpc.ChannelCredentials {
  const credentials = grpc.credentials.createSsl(rootCerts, null, null, verify);
  const createConnector = credentials._createSecureConnector.bind(credentials);
  credentials._createSecureConnector = (target, options, callCredentials) => {
    const connector = createConnector(target, options, callCredentials);
    // grpc-js 1.14 keeps the options tls.connect gets here (pinned in deno.json)
    const connection = (connector as { connectionOptions?: tls.ConnectionOptions })
      .connectionOptions;
    if (connection?.servername && isIP(connection.servername)) delete connection.servername;
    return connector;
  };
  return credentials;
}

/** gRPC channel credentials for a controller or router endpoint. */
export async function channelCredentials(
  endpoint: string,
  options: TlsOptions = {},
): Promise<grpc.ChannelCredentials> {
  if (options.insecure || insecureFromEnv()) {
    const pinned = await fetchCertificateChain(endpoint);
    // the chain is pinned exactly, so the name in it need not match the address dialled
    return sslCredentials(Buffer.from(pinned), { checkServerIdentity: () => undefined });
  }
  if (options.ca) return sslCredentials(Buffer.from(atob(options.ca)));
  return sslCredentials(null);
}

/** The channel option naming the host a TLS certificate is checked against. */
export const TARGET_NAME_OPTION = "grpc.ssl_target_name_override";

/**
 * The `grpcOptions` a config naming several replicas (`ipv4:IP:PORT,IP:PORT`) needs so that
 * upstream's Python client reads it too: grpcio checks the certificate against the whole list
 * (grpc-js against its first address), unless {@linkcode TARGET_NAME_OPTION} names the host to
 * check. That is the first DNS name, else IP address, the certificate `caBase64` covers (the
 * controller's self-signed one). None for one address, or without that certificate.
 */
export function replicaChannelOptions(endpoint: string, caBase64: string): Record<string, string> {
  let addresses: number;
  try {
    const target = parseGrpcTarget(endpoint);
    addresses = target.scheme === "dns" ? 1 : target.addresses.length;
  } catch {
    return {};
  }
  if (addresses < 2 || caBase64 === "") return {};
  let names: string[];
  try {
    const pem = Buffer.from(caBase64, "base64").toString();
    names = (new X509Certificate(pem).subjectAltName ?? "").split(", ");
  } catch {
    return {};
  }
  const dns = names.find((name) => name.startsWith("DNS:"))?.slice(4);
  const ip = names.find((name) => name.startsWith("IP Address:"))?.slice(11);
  const host = dns ?? ip;
  return host ? { [TARGET_NAME_OPTION]: host } : {};
}

/** A TLS file (certificate, key or CA) that cannot be used; the message names the file. */
export class TlsMaterialError extends JumpstarterError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TlsMaterialError";
  }
}

async function readPem(path: string, what: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new TlsMaterialError(`Cannot read the ${what} ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** The certificates of a PEM text, in order; none when it holds no certificate block. */
function certificatesOf(pem: string, path: string, what: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    throw new TlsMaterialError(`${path} is not a PEM certificate (expected a ${what})`);
  }
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new TlsMaterialError(
        `${path}: certificate ${index + 1} cannot be parsed (${(error as Error).message})`,
        { cause: error },
      );
    }
  });
}

/**
 * Reads and checks a server certificate and its private key: both parse, and the key is the
 * certificate's.
 *
 * @throws {TlsMaterialError} naming the file at fault.
 */
export async function readServerIdentity(
  certFile: string,
  keyFile: string,
): Promise<{ cert: string; key: string }> {
  const [cert, key] = await Promise.all([
    readPem(certFile, "TLS certificate"),
    readPem(keyFile, "TLS key"),
  ]);
  const [leaf] = certificatesOf(cert, certFile, "TLS certificate");
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    throw new TlsMaterialError(`${keyFile} is not a PEM private key`, { cause: error });
  }
  if (!leaf!.checkPrivateKey(privateKey)) {
    throw new TlsMaterialError(`${keyFile} is not the private key of the certificate ${certFile}`);
  }
  return { cert, key };
}

/**
 * Reads a CA bundle (PEM certificates) to trust.
 *
 * @throws {TlsMaterialError} when it cannot be read or holds no valid certificate.
 */
export async function readCaBundle(path: string): Promise<string> {
  const pem = await readPem(path, "CA file");
  certificatesOf(pem, path, "CA certificate");
  return pem;
}
