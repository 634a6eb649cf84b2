/**
 * A typed view of the parts of `net-snmp` the driver uses (the package ships no types), with
 * its privacy ciphers made to work under Deno.
 */
import snmp from "net-snmp";
import type { Buffer } from "node:buffer";
import { installPrivacyFallbacks } from "./privacy.ts";

/** One variable binding of a request or response. */
export interface Varbind {
  oid: string;
  type: number;
  value?: unknown;
}

/** The authoritative engine a v3 message is protected for. */
export interface EngineInfo {
  engineID: Buffer;
  engineBoots: number;
  engineTime: number;
}

/** An SNMPv3 USM user as `createV3Session` takes it. */
export interface UsmUser {
  name: string;
  level: number;
  authProtocol?: number;
  authKey?: string;
  privProtocol?: number;
  privKey?: string;
}

/** Session options we pass. */
export interface SessionOptions {
  port: number;
  version: number;
  transport: "udp4";
  timeout: number;
  retries: number;
}

export type ResponseCallback = (error: Error | null, varbinds?: Varbind[]) => void;

/** A net-snmp session (one UDP socket). */
export interface Session {
  get(oids: string[], callback: ResponseCallback): void;
  set(varbinds: Varbind[], callback: ResponseCallback): void;
  close(): void;
  on(event: "error", listener: (error: Error) => void): void;
}

/** A privacy algorithm entry of `Encryption.algorithms`. */
export interface PrivacyAlgorithm {
  CRYPTO_ALGORITHM: string;
  KEY_LENGTH: number;
  BLOCK_LENGTH: number;
  localizationAlgorithm(
    algorithm: PrivacyAlgorithm,
    authProtocol: number,
    privPassword: string,
    engineID: Buffer,
  ): Buffer;
  encryptPdu(
    scopedPdu: Buffer,
    privProtocol: number,
    privPassword: string,
    authProtocol: number,
    engine: EngineInfo,
  ): { encryptedPdu: Buffer; msgPrivacyParameters: Buffer };
  decryptPdu(
    encryptedPdu: Buffer,
    privProtocol: number,
    privParameters: Buffer,
    privPassword: string,
    authProtocol: number,
    engine: EngineInfo,
  ): Buffer;
}

/** The `net-snmp` module, as far as we use it. */
export interface NetSnmp {
  Version1: number;
  Version2c: number;
  Version3: number;
  SecurityLevel: Record<"noAuthNoPriv" | "authNoPriv" | "authPriv", number>;
  AuthProtocols: Record<"md5" | "sha", number>;
  PrivProtocols: Record<"des" | "aes", number>;
  ObjectType: Record<"Integer", number> & Record<number, string>;
  ResponseInvalidCode: Record<"EAuthFailure" | "ECouldNotDecrypt", number>;
  RequestTimedOutError: new (message: string) => Error;
  RequestFailedError: new (message: string, status: number) => Error & { status: number };
  ResponseInvalidError: new (message: string, code: number) => Error & { code: number };
  Authentication: {
    passwordToKey(authProtocol: number, password: string, engineID: Buffer): Buffer;
  };
  Encryption: { algorithms: Record<number, PrivacyAlgorithm> };
  isVarbindError(varbind: Varbind): boolean;
  varbindError(varbind: Varbind): string;
  createSession(target: string, community: string, options: SessionOptions): Session;
  createV3Session(target: string, user: UsmUser, options: SessionOptions): Session;
}

export const netSnmp: NetSnmp = snmp;

installPrivacyFallbacks(netSnmp);
