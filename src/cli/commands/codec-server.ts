import { EXIT } from '../../core/exit-codes';
import { CODEC_KEYS_ENV, CodecKeyError, codecFromEnv, type AesGcmCodec } from '../../infra/codec';
import { startCodecServer } from '../../infra/codec-server';
import { createLogger } from '../../infra/logger';
import { CliExit } from '../errors';
import { untilSignal } from './dev';

/** Flags of `readiness codec-server`. */
export interface CodecServerFlags {
  port: number;
  host: string;
  corsOrigin: string;
}

/**
 * `readiness codec-server`: serves Temporal's remote codec protocol with the READINESS_CODEC_KEYS
 * keys, so a Web UI configured with this codec endpoint shows decrypted payloads. Refuses to start
 * (exit 2) without keys or with malformed ones; runs in the foreground until SIGINT/SIGTERM.
 */
export async function codecServerCommand(flags: CodecServerFlags): Promise<void> {
  let codec: AesGcmCodec | undefined;
  try {
    codec = codecFromEnv(process.env);
  } catch (err) {
    if (err instanceof CodecKeyError) throw new CliExit(EXIT.INVALID_INPUT, `error: ${err.message}`);
    throw err;
  }
  if (!codec) {
    throw new CliExit(
      EXIT.INVALID_INPUT,
      `error: ${CODEC_KEYS_ENV} is not set; the codec server needs the same keys as the workers (keyId:base64key[,...], active key first)`,
    );
  }
  const logger = createLogger({ cmd: 'codec-server' });
  const server = await startCodecServer({
    codec,
    port: flags.port,
    host: flags.host,
    corsOrigin: flags.corsOrigin,
    logger,
  });
  logger.info(
    { url: server.url, corsOrigin: flags.corsOrigin, activeKeyId: codec.activeKeyId, keyIds: codec.keyIds },
    'codec server running',
  );
  process.stdout.write(
    `readiness codec-server ready: ${server.url} (CORS origin ${flags.corsOrigin}; keys ${codec.keyIds.join(', ')}, active ${codec.activeKeyId})\n`,
  );
  const sig = await untilSignal();
  logger.info({ reason: sig }, 'stopping');
  await server.close();
}
