import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CampaignProgress } from '../core/types';

/** Query: where the campaign is (phase, step, per-phase status). Answered from workflow state. */
export const progressQuery = defineQuery<CampaignProgress>('progress');

/** Payload of the abort signal. */
export interface AbortRequest {
  by: string;
  reason?: string;
}

/**
 * Signal: stop the campaign. The running load is cancelled within a heartbeat, remaining phases are
 * skipped, and the campaign still scores and writes a partial report ending NO_GO "aborted by ...".
 */
export const abortSignal = defineSignal<[AbortRequest]>('abort');

/** Query of the stress and spike child workflows: the step they are on. */
export const stepQuery = defineQuery<string>('step');
