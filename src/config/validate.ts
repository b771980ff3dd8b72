/**
 * Campaign validation without any I/O: used by the CLI (after YAML parsing) and by the campaign workflow
 * itself, so a campaign started directly (an SDK client, \`temporal workflow start\`) gets the same checks.
 */
import type { z } from 'zod';
import type { ConfigProblem } from '../core/errors';
import { checklistSections, resolveChecklist } from '../core/checklist';
import { historyProblems } from './limits';
import { campaignSchema, crossFieldProblems, type Campaign } from './schema';

function issuePath(path: readonly PropertyKey[]): string {
  return path.length
    ? path
        .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
        .join('.')
        .replace(/\.\[/g, '[')
    : '(root)';
}

/** Flattens zod issues into `path: message` problems, one per unknown key. */
export function zodProblems(error: z.ZodError): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ path: issuePath([...issue.path, key]), message: 'unknown field' });
    } else if (issue.code === 'invalid_union' && 'errors' in issue && Array.isArray(issue.errors)) {
      problems.push({
        path: issuePath(issue.path),
        message: issue.message === 'Invalid input' ? 'value does not match any allowed form' : issue.message,
      });
    } else if (
      issue.code === 'invalid_key' &&
      'issues' in issue &&
      Array.isArray(issue.issues) &&
      issue.issues.length
    ) {
      // A bad record key (a header or variable name): say which key and why, not zod's "Invalid key in record".
      const key = String(issue.path.at(-1));
      problems.push({
        path: issuePath(issue.path),
        message: `${(issue.issues as Array<{ message: string }>).map((i) => i.message).join('; ')} ("${key}")`,
      });
    } else if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) {
      problems.push({
        path: issuePath(issue.path),
        message: `required (${issue.expected === 'object' ? 'a section' : `a ${issue.expected}`})`,
      });
    } else {
      problems.push({ path: issuePath(issue.path), message: issue.message });
    }
  }
  return problems;
}

/**
 * Validates an already-parsed object; returns the campaign or every problem found. `limits` (default on) also applies
 * the history bounds (config/limits.ts); the workflow turns them off for campaigns started before they existed.
 */
export function validateCampaign(
  raw: unknown,
  opts: { limits?: boolean } = {},
): { ok: true; campaign: Campaign } | { ok: false; problems: ConfigProblem[] } {
  const result = campaignSchema.safeParse(raw);
  const problems = [...(result.success ? [] : zodProblems(result.error)), ...crossFieldProblems(raw)];
  // The checklist as this campaign resolves it: an override of a fault drill's or resource item needs the section
  // (validated alone, the checklist accepts them so that a campaign with drills can override them).
  if (result.success && !problems.length)
    for (const p of resolveChecklist(result.data.checklist, checklistSections(result.data)).problems)
      problems.push({
        path: `checklist.${issuePath(p.path)}`,
        message: `${p.message} (built-in fault drill and resource items exist only in campaigns with faults.drills / faults.resources)`,
      });
  if (result.success && !problems.length && opts.limits !== false) problems.push(...historyProblems(result.data));
  return result.success && !problems.length ? { ok: true, campaign: result.data } : { ok: false, problems };
}
