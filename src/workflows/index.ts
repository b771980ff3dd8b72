/** Every workflow the worker registers. */
export { readinessCampaignWorkflow } from './campaign';
export { spikeWorkflow, stressWorkflow } from './stress';
