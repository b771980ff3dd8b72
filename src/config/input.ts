import type { ChecklistItem } from '../core/checklist-types';
import type { Campaign } from './schema';

/** What the campaign workflow is started with. Secrets appear only as `{ fromEnv }` references. */
export interface CampaignInput {
  campaignId: string;
  campaign: Campaign;
  configHash: string;
  /**
   * The checklist resolved from the campaign file and the built-in items when the campaign was started,
   * so a later release's built-in checklist changes neither a running campaign (replay) nor its rescore.
   * Resolved by the workflow from the campaign file when absent.
   */
  checklist?: ChecklistItem[];
}
