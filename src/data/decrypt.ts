/**
 * In-memory decryption of the canaried benchmarks (reference rewards-and-judges.md §5). Plaintext is
 * never written by drkit except into a user's own run directory.
 */
import { createHash } from "node:crypto";
import { DataError } from "../core/errors.js";

const decoder = new TextDecoder("utf-8", { fatal: true });

function decode(bytes: Uint8Array, what: string): string {
  try {
    return decoder.decode(bytes);
  } catch (error) {
    throw new DataError(`decrypting ${what} did not give UTF-8 text: wrong key or corrupt data`, {}, { cause: error });
  }
}

/** BrowseComp / BrowseComp-ZH: key = SHA-256(password) repeated to the ciphertext length, XOR. */
export function decryptBrowseComp(ciphertextBase64: string, password: string): string {
  const ciphertext = Buffer.from(ciphertextBase64, "base64");
  const key = createHash("sha256").update(password, "utf8").digest();
  const out = new Uint8Array(ciphertext.length);
  for (let index = 0; index < ciphertext.length; index++)
    out[index] = (ciphertext[index] as number) ^ (key[index % key.length] as number);
  return decode(out, "a BrowseComp field");
}

/** xbench-DeepSearch: key = UTF-8 bytes of the canary (no hashing) repeated, XOR. */
export function decryptXbench(ciphertextBase64: string, canary: string): string {
  const ciphertext = Buffer.from(ciphertextBase64, "base64");
  const key = Buffer.from(canary, "utf8");
  if (key.length === 0) throw new DataError("xbench row has an empty canary; cannot decrypt");
  const out = new Uint8Array(ciphertext.length);
  for (let index = 0; index < ciphertext.length; index++)
    out[index] = (ciphertext[index] as number) ^ (key[index % key.length] as number);
  return decode(out, "an xbench field");
}

/** The inverse operations, for writing test fixtures of our own. */
export function encryptBrowseComp(plaintext: string, password: string): string {
  const bytes = Buffer.from(plaintext, "utf8");
  const key = createHash("sha256").update(password, "utf8").digest();
  return Buffer.from(bytes.map((byte, index) => byte ^ (key[index % key.length] as number))).toString("base64");
}

export function encryptXbench(plaintext: string, canary: string): string {
  const bytes = Buffer.from(plaintext, "utf8");
  const key = Buffer.from(canary, "utf8");
  return Buffer.from(bytes.map((byte, index) => byte ^ (key[index % key.length] as number))).toString("base64");
}
