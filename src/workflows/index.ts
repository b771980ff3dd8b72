/** Every workflow the worker registers. */
export { readinessCampaignWorkflow } from './campaign';
