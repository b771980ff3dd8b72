/**
 * What an activity reads of its campaign's configuration: the scenario, the target, the settings. Workflows pass the
 * campaign id (a reference), never the scenario itself, so no payload in history repeats it; inputs from histories
 * recorded before the reference still carry the scenario, and it is used as given.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Campaign } from '../config/schema';
import { FAILURE } from '../core/errors';
import type { ResultsStore } from '../infra/results-store';

/** The campaign's recorded configuration; a non-retryable failure when the campaign is not in the store. */
export async function recordedCampaign(store: ResultsStore, campaignId: string): Promise<Campaign> {
  const config = await store.campaignConfig(campaignId);
  if (!config)
    throw ApplicationFailure.nonRetryable(`campaign ${campaignId} is not in the results store`, FAILURE.NOT_IN_STORE);
  return config;
}

/** The scenario an activity runs: the one given (older histories), else the campaign's recorded one. */
export async function scenarioOf(
  store: ResultsStore,
  input: { campaignId: string; scenario?: Campaign['scenario'] },
): Promise<Campaign['scenario']> {
  return input.scenario ?? (await recordedCampaign(store, input.campaignId)).scenario;
}
