import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { InfrastructureError, UnknownCampaignError } from '../core/errors';
import { resolveEndpoints, type Endpoints } from '../infra/dev-state';

/** Connection flags shared by every command that talks to Temporal. */
export interface ConnectionFlags {
  address?: string;
  namespace?: string;
  dataDir?: string;
}

/** Connects a Temporal client, runs `fn`, and closes the connection. */
export async function withClient<T>(flags: ConnectionFlags, fn: (client: Client, endpoints: Endpoints) => Promise<T>): Promise<T> {
  const endpoints = resolveEndpoints(flags);
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: endpoints.address, connectTimeout: 5_000 });
  } catch (err) {
    throw new InfrastructureError(`cannot reach the Temporal server at ${endpoints.address} (${(err as Error).message}); start one with \`readiness dev\` or set TEMPORAL_ADDRESS`);
  }
  try {
    return await fn(new Client({ connection, namespace: endpoints.namespace }), endpoints);
  } finally {
    await connection.close();
  }
}

/** Describes a campaign's workflow, turning "not found" into UnknownCampaignError. */
export async function describeCampaign(client: Client, campaignId: string) {
  try {
    return await client.workflow.getHandle(campaignId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || (err as { code?: number }).code === 5) throw new UnknownCampaignError(campaignId);
    throw err;
  }
}
