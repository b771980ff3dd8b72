/**
 * The AES-256-GCM payload codec and its READINESS_CODEC_KEYS parsing: round trip, rotation,
 * tampering, unknown keys, and configuration errors that never echo key material.
 */
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import {
  AesGcmCodec,
  CODEC_KEYS_ENV,
  CodecKeyError,
  codecFromEnv,
  dataConverterFromEnv,
  ENCODING_ENCRYPTED,
  generateKey,
  METADATA_KEY_ID,
  parseCodecKeys,
} from '../../src/infra/codec';

const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');
const env = (value: string | undefined) => ({ [CODEC_KEYS_ENV]: value });
const json = (v: unknown): Payload => defaultPayloadConverter.toPayload(v);

describe('AesGcmCodec', () => {
  const k1 = generateKey();
  const k2 = generateKey();

  test('when a payload is encoded and decoded, then the original payload comes back and the wire form is ciphertext', async () => {
    const codec = codecFromEnv(env(`k1:${k1}`))!;
    const original = json({ campaign: 'orders-api-secret-name', n: 1 });
    const [encoded] = await codec.encode([original]);
    expect(text(encoded!.metadata!.encoding)).toBe(ENCODING_ENCRYPTED);
    expect(text(encoded!.metadata![METADATA_KEY_ID])).toBe('k1');
    expect(Object.keys(encoded!.metadata!).sort()).toEqual(['encoding', METADATA_KEY_ID].sort());
    expect(Buffer.from(encoded!.data!).includes('orders-api-secret-name')).toBe(false);
    // 12-byte IV + ciphertext of the serialized Payload + 16-byte tag.
    expect(encoded!.data!.length).toBe(12 + temporal.api.common.v1.Payload.encode(original).finish().length + 16);

    const [decoded] = await codec.decode([encoded!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ campaign: 'orders-api-secret-name', n: 1 });
    expect(text(decoded!.metadata!.encoding)).toBe('json/plain');
  });

  test('when the same payload is encoded twice, then the IVs differ (no deterministic ciphertext)', async () => {
    const codec = codecFromEnv(env(`k1:${k1}`))!;
    const [a, b] = await codec.encode([json('same'), json('same')]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
    expect(Buffer.from(a!.data!.subarray(0, 12)).equals(Buffer.from(b!.data!.subarray(0, 12)))).toBe(false);
  });

  test('when a list holds empty, binary and null-data payloads, then all of them round-trip', async () => {
    const codec = codecFromEnv(env(`k1:${k1}`))!;
    const payloads: Payload[] = [
      json(null),
      json(undefined),
      defaultPayloadConverter.toPayload(new Uint8Array([0, 1, 255])),
      { metadata: {}, data: null },
    ];
    const decoded = await codec.decode(await codec.encode(payloads));
    expect(decoded.map((p) => Buffer.from(p.data ?? new Uint8Array()).toString('hex'))).toEqual(
      payloads.map((p) => Buffer.from(p.data ?? new Uint8Array()).toString('hex')),
    );
    expect(await codec.encode([])).toEqual([]);
  });

  test('when a payload is not encrypted, then decode leaves it untouched', async () => {
    const codec = codecFromEnv(env(`k1:${k1}`))!;
    const plain = json({ a: 1 });
    const [decoded] = await codec.decode([plain]);
    expect(decoded).toBe(plain);
  });

  test('when a new active key is added in front, then payloads encrypted with the old key still decrypt and new ones use the new key', async () => {
    const before = codecFromEnv(env(`2024:${k1}`))!;
    const [old] = await before.encode([json('written last year')]);

    const after = codecFromEnv(env(`2025:${k2},2024:${k1}`))!;
    expect(after.activeKeyId).toBe('2025');
    expect(after.keyIds).toEqual(['2025', '2024']);
    expect(defaultPayloadConverter.fromPayload((await after.decode([old!]))[0]!)).toBe('written last year');
    const [fresh] = await after.encode([json('written now')]);
    expect(text(fresh!.metadata![METADATA_KEY_ID])).toBe('2025');
    // The old-only process cannot read what the rotated one writes.
    await expect(before.decode([fresh!])).rejects.toThrow(
      'payload encrypted with key id "2025", which is not in READINESS_CODEC_KEYS (this process has: 2024)',
    );
  });

  test.each([
    [
      'a flipped ciphertext bit',
      (d: Buffer) => {
        d[14] ^= 1;
      },
    ],
    [
      'a flipped IV bit',
      (d: Buffer) => {
        d[0] ^= 1;
      },
    ],
    [
      'a flipped tag bit',
      (d: Buffer) => {
        d[d.length - 1] ^= 1;
      },
    ],
  ])('when the data has %s, then decode fails authentication naming the key id', async (_what, tamper) => {
    const codec = codecFromEnv(env(`k1:${k1}`))!;
    const [encoded] = await codec.encode([json({ secret: 'x' })]);
    const data = Buffer.from(encoded!.data!);
    tamper(data);
    const err = await codec.decode([{ ...encoded!, data }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodecKeyError);
    expect((err as CodecKeyError).message).toMatch(
      /^payload encrypted with key id "k1" failed authentication: it was tampered with/,
    );
    expect((err as CodecKeyError).keyId).toBe('k1');
  });

  test('when the data is truncated below IV + tag, then decode says so', async () => {
    const codec = codecFromEnv(env(`k1:${k1}`))!;
    const [encoded] = await codec.encode([json(1)]);
    await expect(codec.decode([{ ...encoded!, data: encoded!.data!.subarray(0, 20) }])).rejects.toThrow(
      'payload encrypted with key id "k1" is truncated (20 bytes)',
    );
  });

  test('when the key id is rewritten to another known key, then decode fails authentication (no silent garbage)', async () => {
    const codec = codecFromEnv(env(`k1:${k1},k2:${k2}`))!;
    const [encoded] = await codec.encode([json('x')]);
    const swapped = { ...encoded!, metadata: { ...encoded!.metadata, [METADATA_KEY_ID]: Buffer.from('k2') } };
    await expect(codec.decode([swapped])).rejects.toThrow(/key id "k2" failed authentication/);
  });

  test('when the key id is unknown, then the error names that id and the known ones, and never a key', async () => {
    const writer = codecFromEnv(env(`prod-2026:${k2}`))!;
    const reader = codecFromEnv(env(`k1:${k1}`))!;
    const [encoded] = await writer.encode([json('x')]);
    const err = (await reader.decode([encoded!]).catch((e: unknown) => e)) as CodecKeyError;
    expect(err).toBeInstanceOf(CodecKeyError);
    expect(err.keyId).toBe('prod-2026');
    expect(err.message).toContain('"prod-2026"');
    expect(err.message).not.toContain(k1);
    expect(err.message).not.toContain(k2);
  });

  test('when an encrypted payload has no key id, then decode says which metadata is missing', async () => {
    const codec = codecFromEnv(env(`k1:${k1}`))!;
    await expect(
      codec.decode([{ metadata: { encoding: Buffer.from(ENCODING_ENCRYPTED) }, data: Buffer.alloc(40) }]),
    ).rejects.toThrow('an encrypted payload has no "encryption-key-id" metadata');
  });

  test('when keys are given directly, then the constructor validates them too', () => {
    expect(() => new AesGcmCodec([])).toThrow('at least one key');
    expect(() => new AesGcmCodec([{ id: 'a', key: Buffer.alloc(16) }])).toThrow(
      'codec key "a" must be 32 bytes, got 16',
    );
    expect(
      () =>
        new AesGcmCodec([
          { id: 'a', key: Buffer.alloc(32) },
          { id: 'a', key: Buffer.alloc(32) },
        ]),
    ).toThrow('codec key id "a" is given twice');
  });
});

describe('codecFromEnv / parseCodecKeys', () => {
  const good = generateKey();
  const short = Buffer.alloc(16, 7).toString('base64');

  test('when READINESS_CODEC_KEYS is unset or blank, then there is no codec and the data converter stays the default', () => {
    expect(codecFromEnv({})).toBeUndefined();
    expect(codecFromEnv(env(''))).toBeUndefined();
    expect(codecFromEnv(env('  '))).toBeUndefined();
    expect(dataConverterFromEnv({})).toBeUndefined();
  });

  test('when it is set, then the data converter carries the codec', () => {
    const dc = dataConverterFromEnv(env(`k1:${good}`));
    expect(dc?.payloadCodecs).toHaveLength(1);
    expect(dc!.payloadCodecs![0]).toBeInstanceOf(AesGcmCodec);
  });

  test('when entries have spaces and a trailing comma, then they are trimmed and the empty entry ignored', () => {
    expect(parseCodecKeys(` a : ${good} , b:${generateKey()}, `).map((k) => k.id)).toEqual(['a', 'b']);
  });

  test('when generateKey is called, then it returns base64 of 32 fresh random bytes', () => {
    const a = generateKey();
    expect(Buffer.from(a, 'base64')).toHaveLength(32);
    expect(Buffer.from(a, 'base64').toString('base64')).toBe(a);
    expect(generateKey()).not.toBe(a);
  });

  test.each([
    ['no colon (a bare key)', () => good, 'READINESS_CODEC_KEYS entry 1: expected keyId:base64key (no ":" found)'],
    [
      'an empty key id',
      () => `:${good}`,
      'READINESS_CODEC_KEYS entry 1: the key id must be 1-64 characters of A-Z a-z 0-9 . _ -',
    ],
    [
      'a key id with a space',
      () => `my key:${good}`,
      'READINESS_CODEC_KEYS entry 1: the key id must be 1-64 characters of A-Z a-z 0-9 . _ -',
    ],
    [
      'key and id swapped',
      () => `${good}:k1`,
      'READINESS_CODEC_KEYS entry 1: the key id must be 1-64 characters of A-Z a-z 0-9 . _ -',
    ],
    ['an empty key', () => 'k1:', 'READINESS_CODEC_KEYS entry 1 (key id "k1"): the key is empty'],
    [
      'bad base64',
      () => `k1:${good},k2:not*base64!!${good.slice(12)}`,
      'READINESS_CODEC_KEYS entry 2 (key id "k2"): the key is not valid base64',
    ],
    [
      'base64 with broken padding',
      () => `k1:${good.slice(0, -1)}`,
      'READINESS_CODEC_KEYS entry 1 (key id "k1"): the key is not valid base64',
    ],
    [
      'a 16-byte key',
      () => `k1:${short}`,
      'READINESS_CODEC_KEYS entry 1 (key id "k1"): the key must decode to 32 bytes (AES-256), got 16',
    ],
    [
      'a duplicate id',
      () => `k1:${good},k2:${generateKey()},k1:${generateKey()}`,
      'READINESS_CODEC_KEYS entry 3: key id "k1" is given twice',
    ],
    [
      'only commas',
      () => ' , ,',
      'READINESS_CODEC_KEYS is set but holds no key; expected keyId:base64key[,keyId:base64key...]',
    ],
  ])(
    'when the value has %s, then it is rejected with a clear message that does not echo the key',
    (_what, value, message) => {
      const v = value();
      const err = (() => {
        try {
          codecFromEnv(env(v));
        } catch (e) {
          return e;
        }
        return undefined;
      })() as CodecKeyError;
      expect(err).toBeInstanceOf(CodecKeyError);
      expect(err.message).toBe(message);
      // No key material (nor any long piece of it) in the message.
      for (const part of v
        .split(/[,:]/)
        .map((p) => p.trim())
        .filter((p) => p.length >= 16))
        expect(err.message).not.toContain(part.slice(0, 12));
    },
  );
});
