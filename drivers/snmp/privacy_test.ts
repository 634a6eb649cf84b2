import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { aesCfb128, desCbc } from "./privacy.ts";

const hex = (text: string) => Buffer.from(text.replaceAll(" ", ""), "hex");

Deno.test("aesCfb128 matches NIST SP 800-38A F.3.13, including a partial last block", () => {
  const key = hex("2b7e151628aed2a6abf7158809cf4f3c");
  const iv = hex("000102030405060708090a0b0c0d0e0f");
  const plain = hex(
    "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51 30c81c46a35ce411",
  );
  const cipher = hex(
    "3b3fd92eb72dad20333449f8e83cfb4a c8a64537a0b3a93fcde3cdad9f1ce58b 26751f67a3cbb140",
  );
  assert.deepEqual(aesCfb128(key, iv, plain, false), cipher);
  assert.deepEqual(aesCfb128(key, iv, cipher, true), plain);
});

Deno.test("desCbc matches the FIPS 81 CBC example", () => {
  const key = hex("0123456789abcdef");
  const iv = hex("1234567890abcdef");
  const plain = Buffer.from("Now is the time for all ");
  const cipher = hex("e5c7cdde872bf27c 43e934008c389c0f 683788499a7c05f6");
  assert.deepEqual(desCbc(key, iv, plain, false), cipher);
  assert.deepEqual(desCbc(key, iv, cipher, true), plain);
});
