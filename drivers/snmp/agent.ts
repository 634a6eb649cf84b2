/**
 * One SNMP agent (the PDU) as the driver talks to it: GET and SET of single integer objects,
 * with v1/v2c communities or SNMPv3 USM, a deadline per request, and errors that say what failed
 * and where.
 */
import { lookup } from "node:dns/promises";
import { ConnectionError, DriverError, DriverTimeoutError } from "@jumpstarter/lib/wire";
import { securityLevel, type SnmpConfig } from "./config.ts";
import {
  netSnmp,
  type ResponseCallback,
  type Session,
  type SessionOptions,
  type UsmUser,
  type Varbind,
} from "./net_snmp.ts";

/** Attempts per request within the deadline (UDP datagrams may be lost). */
const ATTEMPTS = 3;

const UNREACHABLE = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN"]);

/** Statuses of a refused SET: the object is missing or read-only, or the credentials may not write. */
const WRITE_DENIED = new Set(["NoAccess", "NotWritable", "AuthorizationError", "ReadOnly"]);

/** The value of an object as read from the agent. */
export type RawValue = number | string | null;

/** What one request is, for messages: e.g. `SET 1.3.6...1.3 = 1`. */
interface Request {
  operation: "GET" | "SET";
  oid: string;
  value?: number;
}

/** An SNMP agent reached over UDP/IPv4 with the credentials of a config. */
export class SnmpAgent {
  readonly #config: SnmpConfig;

  constructor(config: SnmpConfig) {
    this.#config = config;
  }

  /** `host:port`, as messages name the agent. */
  get address(): string {
    return `${this.#config.host}:${this.#config.port}`;
  }

  /** Reads one object. */
  async get(oid: string): Promise<RawValue> {
    const request: Request = { operation: "GET", oid };
    const varbind = await this.#send(request, (session, done) => session.get([oid], done));
    if (netSnmp.isVarbindError(varbind)) {
      throw new DriverError(
        `SNMP GET ${oid} on ${this.address} failed: the agent has no such object ` +
          `(${netSnmp.varbindError(varbind).split(":")[0]}); check plug and oid`,
      );
    }
    return rawValue(varbind.value);
  }

  /** Writes an INTEGER to one object. */
  async setInteger(oid: string, value: number): Promise<void> {
    const request: Request = { operation: "SET", oid, value };
    const varbind = { oid, type: netSnmp.ObjectType.Integer, value };
    await this.#send(request, (session, done) => session.set([varbind], done));
  }

  /** Sends one request; the configured timeout bounds the whole exchange, name lookup included. */
  async #send(
    request: Request,
    start: (session: Session, done: ResponseCallback) => void,
  ): Promise<Varbind> {
    const expired = Promise.withResolvers<never>();
    const timer = setTimeout(
      () => expired.reject(this.#timedOut(request)),
      this.#config.timeout * 1000,
    );
    let session: Session | undefined;
    try {
      session = this.#open(await Promise.race([this.#resolve(), expired.promise]));
      // A datagram net-snmp cannot decode is reported here; the request then times out.
      session.on("error", () => {});
      const opened = session;
      const answer = new Promise<Varbind>((resolve, reject) => {
        start(opened, (error, varbinds) => {
          const varbind = varbinds?.[0];
          if (error) reject(this.#failure(request, error));
          else if (varbind) resolve(varbind);
          else reject(new DriverError(`${this.#describe(request)}: the answer has no value`));
        });
      });
      return await Promise.race([answer, expired.promise]);
    } finally {
      clearTimeout(timer);
      session?.close();
    }
  }

  async #resolve(): Promise<string> {
    try {
      return (await lookup(this.#config.host, { family: 4 })).address;
    } catch (error) {
      throw new ConnectionError(
        `Cannot resolve SNMP agent host "${this.#config.host}" to an IPv4 address: ` +
          (error instanceof Error ? error.message : String(error)),
        { cause: error },
      );
    }
  }

  #open(target: string): Session {
    const config = this.#config;
    const timeout = Math.max(1, Math.round((config.timeout * 1000) / ATTEMPTS));
    const options = (version: number): SessionOptions => ({
      port: config.port,
      version,
      transport: "udp4",
      timeout,
      retries: ATTEMPTS - 1,
    });
    if (config.version === "1") {
      return netSnmp.createSession(target, config.community, options(netSnmp.Version1));
    }
    if (config.version === "2c") {
      return netSnmp.createSession(target, config.community, options(netSnmp.Version2c));
    }
    return netSnmp.createV3Session(target, this.#user(), options(netSnmp.Version3));
  }

  #user(): UsmUser {
    const config = this.#config;
    const level = securityLevel(config);
    const user: UsmUser = { name: config.user ?? "", level: netSnmp.SecurityLevel[level] };
    if (level === "noAuthNoPriv") return user;
    user.authProtocol = config.auth_protocol === "MD5"
      ? netSnmp.AuthProtocols.md5
      : netSnmp.AuthProtocols.sha;
    user.authKey = config.auth_key ?? "";
    if (level === "authNoPriv") return user;
    user.privProtocol = config.priv_protocol === "DES"
      ? netSnmp.PrivProtocols.des
      : netSnmp.PrivProtocols.aes;
    user.privKey = config.priv_key ?? "";
    return user;
  }

  #describe(request: Request): string {
    const what = request.value === undefined ? request.oid : `${request.oid} = ${request.value}`;
    return `SNMP ${request.operation} ${what} on ${this.address}`;
  }

  #credentials(): string {
    const config = this.#config;
    if (config.version !== "3") return `SNMPv${config.version} community "${config.community}"`;
    const level = securityLevel(config);
    const protocols = level === "noAuthNoPriv"
      ? ""
      : `, ${config.auth_protocol}${level === "authPriv" ? `/${config.priv_protocol}` : ""}`;
    return `SNMPv3 user "${config.user ?? ""}" (${level}${protocols})`;
  }

  #timedOut(request: Request): DriverTimeoutError {
    const hint = this.#config.version === "3"
      ? "check host and port, and priv_key (an agent drops requests it cannot decrypt)"
      : "check host and port, and the community (agents silently drop a wrong one)";
    return new DriverTimeoutError(
      `${this.#describe(request)} timed out: no answer within ${this.#config.timeout} s ` +
        `using ${this.#credentials()}; ${hint}`,
    );
  }

  #failure(request: Request, error: unknown): Error {
    const where = this.#describe(request);
    if (error instanceof netSnmp.RequestTimedOutError) return this.#timedOut(request);
    if (error instanceof netSnmp.ResponseInvalidError) {
      if (error.code === netSnmp.ResponseInvalidCode.EAuthFailure) {
        return new DriverError(
          `${where} was rejected by the agent: ${error.message}; check user, auth_protocol, ` +
            `auth_key and priv_key of ${this.#credentials()}`,
          { cause: error },
        );
      }
      if (error.code === netSnmp.ResponseInvalidCode.ECouldNotDecrypt) {
        return new DriverError(
          `${where}: cannot decrypt the answer; check priv_protocol and priv_key of ` +
            this.#credentials(),
          { cause: error },
        );
      }
      return new DriverError(`${where}: invalid answer: ${error.message}`, { cause: error });
    }
    if (error instanceof netSnmp.RequestFailedError) {
      const status = error.message.split(":")[0] ?? error.message;
      const hint = WRITE_DENIED.has(status)
        ? `; check plug and oid, and that ${this.#credentials()} may write it`
        : "";
      return new DriverError(`${where} failed: the agent answered ${status}${hint}`, {
        cause: error,
      });
    }
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === "string" && UNREACHABLE.has(code)) {
      return new ConnectionError(`${where} failed: ${message}`, { cause: error });
    }
    return new DriverError(`${where} failed: ${message}`, { cause: error });
  }
}

function rawValue(value: unknown): RawValue {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  if (value === null || value === undefined) return null;
  return String(value);
}
