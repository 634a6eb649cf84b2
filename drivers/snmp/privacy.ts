/**
 * SNMPv3 privacy under Deno. net-snmp encrypts with `des-cbc` and `aes-*-cfb`, which Deno's
 * `node:crypto` does not provide; these replacements compute the same RFC 3414 (CBC-DES) and
 * RFC 3826 (CFB128-AES) transforms from ciphers it does have: DES-CBC as `des-ede3-cbc` with the
 * key repeated three times (EDE with K1 = K2 = K3 is single DES) and CFB128 from `aes-*-ecb`.
 */
import { Buffer } from "node:buffer";
import crypto from "node:crypto";
import type { EngineInfo, NetSnmp } from "./net_snmp.ts";

const DES_BLOCK = 8;
const AES_BLOCK = 16;

/** DES-CBC without padding; `input` must be a whole number of 8-byte blocks. */
export function desCbc(
  key: Uint8Array,
  iv: Uint8Array,
  input: Uint8Array,
  decrypt: boolean,
): Buffer {
  const tripleKey = Buffer.concat([key, key, key]);
  const cipher = decrypt
    ? crypto.createDecipheriv("des-ede3-cbc", tripleKey, iv)
    : crypto.createCipheriv("des-ede3-cbc", tripleKey, iv);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(input), cipher.final()]);
}

/** AES in CFB mode with 128-bit feedback; the key length (16, 24 or 32) picks AES-128/192/256. */
export function aesCfb128(
  key: Uint8Array,
  iv: Uint8Array,
  input: Uint8Array,
  decrypt: boolean,
): Buffer {
  const block = crypto.createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
  block.setAutoPadding(false);
  const output = Buffer.alloc(input.length);
  let feedback: Uint8Array = iv;
  for (let offset = 0; offset < input.length; offset += AES_BLOCK) {
    const keystream = block.update(feedback);
    const chunk = input.subarray(offset, offset + AES_BLOCK);
    for (let i = 0; i < chunk.length; i++) output[offset + i] = chunk[i]! ^ keystream[i]!;
    feedback = decrypt ? chunk : output.subarray(offset, offset + AES_BLOCK);
  }
  return output;
}

function xor(a: Uint8Array, b: Uint8Array): Buffer {
  return Buffer.from(a.map((byte, i) => byte ^ b[i]!));
}

/** RFC 3826: IV = engineBoots (4 bytes) | engineTime (4 bytes) | salt (8 bytes). */
function aesIv(engine: EngineInfo, salt: Uint8Array): Buffer {
  const iv = Buffer.alloc(AES_BLOCK);
  iv.writeUInt32BE(engine.engineBoots >>> 0, 0);
  iv.writeUInt32BE(engine.engineTime >>> 0, 4);
  iv.set(salt.subarray(0, 8), 8);
  return iv;
}

function hasCipher(name: string): boolean {
  return crypto.getCiphers().includes(name);
}

/**
 * Replaces net-snmp's DES and AES privacy functions with equivalents built from the ciphers this
 * runtime has, unless it has the ones net-snmp asks for. Safe to call more than once.
 */
export function installPrivacyFallbacks(lib: NetSnmp): void {
  const algorithms = lib.Encryption.algorithms;
  const des = algorithms[lib.PrivProtocols.des];
  if (des && !hasCipher(des.CRYPTO_ALGORITHM)) {
    // RFC 3414 8.1.1: the localized privacy key gives the DES key (bytes 0-7) and pre-IV (8-15).
    const desKeys = (authProtocol: number, password: string, engine: EngineInfo) => {
      const localized = lib.Authentication.passwordToKey(authProtocol, password, engine.engineID);
      return { key: localized.subarray(0, 8), preIv: localized.subarray(8, 16) };
    };
    des.encryptPdu = (scopedPdu, _protocol, password, authProtocol, engine) => {
      const { key, preIv } = desKeys(authProtocol, password, engine);
      const salt = crypto.randomBytes(DES_BLOCK);
      const padded = Buffer.alloc(Math.ceil(scopedPdu.length / DES_BLOCK) * DES_BLOCK);
      padded.set(scopedPdu);
      return {
        encryptedPdu: desCbc(key, xor(preIv, salt), padded, false),
        msgPrivacyParameters: salt,
      };
    };
    des.decryptPdu = (encryptedPdu, _protocol, salt, password, authProtocol, engine) => {
      if (encryptedPdu.length % DES_BLOCK !== 0 || salt.length !== DES_BLOCK) {
        throw new Error("the DES-encrypted PDU or its salt has a bad length");
      }
      const { key, preIv } = desKeys(authProtocol, password, engine);
      return desCbc(key, xor(preIv, salt), encryptedPdu, true);
    };
  }
  for (const [id, algorithm] of Object.entries(algorithms)) {
    const name = algorithm.CRYPTO_ALGORITHM;
    if (Number(id) === lib.PrivProtocols.des || !name.startsWith("aes-") || hasCipher(name)) {
      continue;
    }
    const aesKey = (authProtocol: number, password: string, engine: EngineInfo) =>
      algorithm.localizationAlgorithm(algorithm, authProtocol, password, engine.engineID)
        .subarray(0, algorithm.KEY_LENGTH);
    algorithm.encryptPdu = (scopedPdu, _protocol, password, authProtocol, engine) => {
      const salt = crypto.randomBytes(8);
      const key = aesKey(authProtocol, password, engine);
      return {
        encryptedPdu: aesCfb128(key, aesIv(engine, salt), scopedPdu, false),
        msgPrivacyParameters: salt,
      };
    };
    algorithm.decryptPdu = (encryptedPdu, _protocol, salt, password, authProtocol, engine) => {
      if (salt.length !== 8) throw new Error("the AES privacy parameters are not 8 bytes");
      const key = aesKey(authProtocol, password, engine);
      return aesCfb128(key, aesIv(engine, salt), encryptedPdu, true);
    };
  }
}
