import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { InfrastructureError, UnknownCampaignError } from '../core/errors';
import { EXIT } from '../core/exit-codes';
import { CodecKeyError, dataConverterFromEnv } from '../infra/codec';
import { resolveEndpoints, type Endpoints } from '../infra/dev-state';
import { temporalSecurityFromEnv } from '../infra/temporal-connection';
import { CliExit } from './errors';

/** Connection flags shared by every command that talks to Temporal. */
export interface ConnectionFlags {
  address?: string;
  namespace?: string;
  dataDir?: string;
}

/**
 * Connects a Temporal client, runs `fn`, and closes the connection. With READINESS_CODEC_KEYS set the
 * client encrypts and decrypts payloads (the workers need the same keys); malformed keys exit 2.
 */
export async function withClient<T>(
  flags: ConnectionFlags,
  fn: (client: Client, endpoints: Endpoints) => Promise<T>,
): Promise<T> {
  const endpoints = resolveEndpoints(flags);
  const dataConverter = cliDataConverter();
  const security = temporalSecurityFromEnv(process.env);
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: endpoints.address, connectTimeout: 5_000, ...security });
  } catch (err) {
    throw new InfrastructureError(
      `cannot reach the Temporal server at ${endpoints.address} (${(err as Error).message}); start one with \`readiness dev\` or set TEMPORAL_ADDRESS`,
    );
  }
  try {
    return await fn(new Client({ connection, namespace: endpoints.namespace, dataConverter }), endpoints);
  } finally {
    await connection.close();
  }
}

function cliDataConverter() {
  try {
    return dataConverterFromEnv(process.env);
  } catch (err) {
    if (err instanceof CodecKeyError) throw new CliExit(EXIT.INVALID_INPUT, `error: ${err.message}`);
    throw err;
  }
}

/** Describes a campaign's workflow, turning "not found" into UnknownCampaignError. */
export async function describeCampaign(client: Client, campaignId: string) {
  try {
    return await client.workflow.getHandle(campaignId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || (err as { code?: number }).code === 5)
      throw new UnknownCampaignError(campaignId);
    throw err;
  }
}
