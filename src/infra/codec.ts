/**
 * Encryption of Temporal payloads: an AES-256-GCM {@link PayloadCodec} keyed from READINESS_CODEC_KEYS.
 * Clients, workers and the codec server that share the same keys see plaintext; the Temporal server,
 * its database and anyone reading raw history see only ciphertext.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/** The environment variable holding the codec keys: `keyId:base64key[,keyId:base64key...]`, active key first. */
export const CODEC_KEYS_ENV = 'READINESS_CODEC_KEYS';

/** `encoding` metadata of an encrypted payload. */
export const ENCODING_ENCRYPTED = 'binary/encrypted';

/** Metadata naming the key a payload was encrypted with. */
export const METADATA_KEY_ID = 'encryption-key-id';

const CIPHER = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** One codec key: its id (stored in each payload's metadata) and the 32 key bytes. */
export interface CodecKey {
  id: string;
  key: Buffer;
}

/**
 * Thrown when READINESS_CODEC_KEYS is malformed, or a payload cannot be decrypted (unknown key id,
 * tampered or truncated data). The message names the key id and the problem, never key material.
 */
export class CodecKeyError extends Error {
  constructor(
    message: string,
    public readonly keyId?: string,
  ) {
    super(message);
    this.name = 'CodecKeyError';
  }
}

/**
 * AES-256-GCM payload codec. `encode` serializes each payload (Temporal's protobuf `Payload`) and
 * encrypts it with the first (active) key under a fresh 12-byte random IV: data = IV + ciphertext +
 * 16-byte tag, metadata `encoding: binary/encrypted` and `encryption-key-id`. `decode` decrypts with
 * whichever key the payload names, so keys can rotate: put the new key first and keep the old ones
 * until no history needs them. Payloads without the encrypted encoding pass through untouched.
 */
export class AesGcmCodec implements PayloadCodec {
  private readonly keys: Map<string, Buffer>;
  /** The key id new payloads are encrypted with. */
  readonly activeKeyId: string;

  constructor(keys: CodecKey[]) {
    if (keys.length === 0) throw new CodecKeyError('the payload codec needs at least one key');
    this.keys = new Map();
    for (const { id, key } of keys) {
      if (!KEY_ID.test(id)) throw new CodecKeyError('a codec key id must be 1-64 characters of A-Z a-z 0-9 . _ -');
      if (key.length !== KEY_BYTES)
        throw new CodecKeyError(`codec key "${id}" must be ${KEY_BYTES} bytes, got ${key.length}`, id);
      if (this.keys.has(id)) throw new CodecKeyError(`codec key id "${id}" is given twice`, id);
      this.keys.set(id, Buffer.from(key));
    }
    this.activeKeyId = keys[0]!.id;
  }

  /** Every key id this codec can decrypt, the active one first. */
  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  /** Encrypts every payload with the active key. */
  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.get(this.activeKeyId)!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(CIPHER, key, iv);
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { encoding: utf8(ENCODING_ENCRYPTED), [METADATA_KEY_ID]: utf8(this.activeKeyId) },
        data,
      };
    });
  }

  /** Decrypts payloads with the encrypted encoding; leaves every other payload as it is. */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (text(payload.metadata?.encoding) !== ENCODING_ENCRYPTED) return payload;
      const keyId = text(payload.metadata?.[METADATA_KEY_ID]);
      if (!keyId) throw new CodecKeyError(`an encrypted payload has no "${METADATA_KEY_ID}" metadata`);
      const key = this.keys.get(keyId);
      if (!key) {
        throw new CodecKeyError(
          `payload encrypted with key id "${keyId}", which is not in ${CODEC_KEYS_ENV} (this process has: ${this.keyIds.join(', ')}); add that key to decrypt it`,
          keyId,
        );
      }
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES)
        throw new CodecKeyError(`payload encrypted with key id "${keyId}" is truncated (${data.length} bytes)`, keyId);
      const decipher = createDecipheriv(CIPHER, key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new CodecKeyError(
          `payload encrypted with key id "${keyId}" failed authentication: it was tampered with, or key "${keyId}" is not the key it was encrypted with`,
          keyId,
        );
      }
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

/**
 * Parses `keyId:base64key[,keyId:base64key...]` (the active key first). Throws CodecKeyError on a
 * malformed entry, a key that is not base64 of exactly 32 bytes, or a duplicate id; messages name the
 * entry's position and key id, never the key. Empty entries (a trailing comma) are ignored.
 */
export function parseCodecKeys(value: string): CodecKey[] {
  const keys: CodecKey[] = [];
  const seen = new Set<string>();
  const entries = value.split(',').map((e) => e.trim());
  entries.forEach((entry, i) => {
    if (!entry) return;
    const where = `${CODEC_KEYS_ENV} entry ${i + 1}`;
    const colon = entry.indexOf(':');
    if (colon < 0) throw new CodecKeyError(`${where}: expected keyId:base64key (no ":" found)`);
    const id = entry.slice(0, colon).trim();
    const encoded = entry.slice(colon + 1).trim();
    if (!KEY_ID.test(id)) throw new CodecKeyError(`${where}: the key id must be 1-64 characters of A-Z a-z 0-9 . _ -`);
    if (seen.has(id)) throw new CodecKeyError(`${where}: key id "${id}" is given twice`, id);
    if (!encoded) throw new CodecKeyError(`${where} (key id "${id}"): the key is empty`, id);
    if (!BASE64.test(encoded)) throw new CodecKeyError(`${where} (key id "${id}"): the key is not valid base64`, id);
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== KEY_BYTES)
      throw new CodecKeyError(
        `${where} (key id "${id}"): the key must decode to ${KEY_BYTES} bytes (AES-256), got ${key.length}`,
        id,
      );
    seen.add(id);
    keys.push({ id, key });
  });
  if (keys.length === 0)
    throw new CodecKeyError(`${CODEC_KEYS_ENV} is set but holds no key; expected keyId:base64key[,keyId:base64key...]`);
  return keys;
}

/**
 * The codec configured by the environment (`process.env.READINESS_CODEC_KEYS` by default), or
 * undefined when the variable is unset or empty: then payloads stay plaintext, as before. Throws
 * CodecKeyError when the value is malformed, so a process never silently runs unencrypted.
 */
export function codecFromEnv(env: NodeJS.ProcessEnv = process.env): AesGcmCodec | undefined {
  const value = env[CODEC_KEYS_ENV];
  if (value === undefined || value.trim() === '') return undefined;
  return new AesGcmCodec(parseCodecKeys(value));
}

/**
 * The data converter for a Temporal Client or Worker: `{ payloadCodecs: [codec] }` when the
 * environment configures a codec, else undefined (the SDK default). Clients and workers must be
 * given the same READINESS_CODEC_KEYS, or they cannot read each other's payloads.
 */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter | undefined {
  const codec = codecFromEnv(env);
  return codec ? { payloadCodecs: [codec] } : undefined;
}

/** A new random AES-256 key, base64-encoded: the part after `keyId:` in READINESS_CODEC_KEYS. */
export function generateKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

function utf8(s: string): Uint8Array {
  return Buffer.from(s, 'utf8');
}

function text(b: Uint8Array | null | undefined): string | undefined {
  return b ? Buffer.from(b).toString('utf8') : undefined;
}
