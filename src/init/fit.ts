/**
 * Keeps a bootstrapped campaign within what one campaign may ask of Temporal (config/limits.ts): the campaign with
 * its checklist under the workflow input size (the generators cap the number of requests and steps themselves). A
 * large spec or a recording with big bodies loses its last requests (or steps) until it fits; the caller says so in
 * the file. Pure.
 */
import { historyProblems } from '../config/limits';
import { validateCampaign } from '../config/validate';
import { draftToObject, type CampaignDraft } from './yaml-writer';

/** The draft with only the first `n` requests (or steps of its first flow). */
function firstN(d: CampaignDraft, n: number): CampaignDraft {
  const flows = d.scenario.flows;
  return {
    ...d,
    scenario: {
      ...d.scenario,
      requests: flows?.length ? d.scenario.requests : d.scenario.requests.slice(0, n),
      flows: flows?.length ? [{ ...flows[0]!, steps: flows[0]!.steps.slice(0, n) }, ...flows.slice(1)] : flows,
    },
  };
}

/** False only when the draft validates but is over the workflow input size (other problems are not this one's). */
function fitsInput(d: CampaignDraft): boolean {
  const result = validateCampaign(draftToObject(d), { limits: false });
  return !result.ok || !historyProblems(result.campaign).some((p) => p.path === '(file)');
}

/**
 * How many of the draft's requests (or, for a recording, steps of its flow) fit in the workflow input: all of them
 * when they do, else the largest count that does (found by bisection).
 */
export function countThatFits(d: CampaignDraft): number {
  const total = d.scenario.flows?.length ? d.scenario.flows[0]!.steps.length : d.scenario.requests.length;
  if (fitsInput(d)) return total;
  let lo = 0; // fits (nothing at all is not a campaign, but is the floor of the search)
  let hi = total; // does not fit
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fitsInput(firstN(d, mid))) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** The draft cut to {@link countThatFits}, and how many requests or steps were cut. */
export function fitToInputSize(d: CampaignDraft): { draft: CampaignDraft; cut: number } {
  const total = d.scenario.flows?.length ? d.scenario.flows[0]!.steps.length : d.scenario.requests.length;
  const n = countThatFits(d);
  return n === total ? { draft: d, cut: 0 } : { draft: firstN(d, Math.max(1, n)), cut: total - Math.max(1, n) };
}
