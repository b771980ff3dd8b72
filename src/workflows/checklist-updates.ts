/**
 * The checklist's `attest` and `waive` updates: accepted at any time until the checklist is scored; each answers
 * the manual items still missing.
 */
import { log, setHandler } from '@temporalio/workflow';
import { missingManualItems } from '../core/checklist';
import type { Attestation, ChecklistItem, Waiver } from '../core/checklist-types';
import { publish, type CampaignRun } from './campaign-run';
import { requirePerson } from './gates';
import { attestUpdate, waiveUpdate, type AttestRequest, type WaiveRequest } from './messages';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** The attestations and waivers received so far, and `refresh()` that recomputes what is missing (now). */
export interface ChecklistSignOff {
  attestations: Attestation[];
  waivers: Waiver[];
  /** Recomputes the missing, attested and waived items in the progress, and shows them. */
  refresh(): void;
  /** The manual items not attested nor waived (an expired waiver does not count), now. */
  missing(): string[];
}

/** Installs the attest and waive handlers over the campaign's resolved checklist. */
export function installChecklistUpdates(items: ChecklistItem[], run: CampaignRun): ChecklistSignOff {
  const attestations: Attestation[] = [];
  const waivers: Waiver[] = [];
  const manualIds = items.filter((i) => i.manual).map((i) => i.id);
  const progress = run.progress;
  progress.checklist = { manualItems: manualIds.length, missing: [...manualIds], attested: [], waived: [] };
  const missing = () => missingManualItems(items, attestations, waivers, Date.now());
  const refresh = () => {
    progress.checklist!.missing = missing();
    progress.checklist!.attested = [...new Set(attestations.map((a) => a.itemId))];
    progress.checklist!.waived = [
      ...new Set(waivers.filter((w) => Date.parse(w.expires) > Date.now()).map((w) => w.itemId)),
    ];
    publish(run);
  };
  const itemOf = (itemId: string) => {
    if (progress.checklist!.scoredAt)
      throw new Error(
        `campaign ${run.campaignId} is closed: its checklist was scored at ${progress.checklist!.scoredAt}`,
      );
    const item = items.find((i) => i.id === itemId);
    if (!item)
      throw new Error(
        `unknown checklist item "${itemId}"; the campaign's items are: ${items.map((i) => i.id).join(', ')}`,
      );
    return item;
  };
  setHandler(
    attestUpdate,
    (req: AttestRequest) => {
      attestations.push({
        itemId: req.itemId,
        by: req.by.trim(),
        at: new Date().toISOString(),
        ...(req.evidence ? { evidence: req.evidence } : {}),
        ...(req.note ? { note: req.note } : {}),
      });
      refresh();
      log.info('checklist item attested', { itemId: req.itemId, by: req.by });
      return { itemId: req.itemId, missing: progress.checklist!.missing };
    },
    {
      validator: (req: AttestRequest) => {
        const item = itemOf(req.itemId);
        requirePerson(req.by);
        if (!item.manual)
          throw new Error(
            `checklist item "${req.itemId}" is automated: it is judged on evidence (${item.automated && 'check' in item.automated ? item.automated.check : item.automated?.expr}); waive it instead`,
          );
      },
    },
  );
  setHandler(
    waiveUpdate,
    (req: WaiveRequest) => {
      waivers.push({
        itemId: req.itemId,
        by: req.by.trim(),
        at: new Date().toISOString(),
        reason: req.reason.trim(),
        expires: new Date(Date.parse(req.expires)).toISOString(),
      });
      refresh();
      log.info('checklist item waived', { itemId: req.itemId, by: req.by, expires: req.expires });
      return { itemId: req.itemId, missing: progress.checklist!.missing };
    },
    {
      validator: (req: WaiveRequest) => {
        itemOf(req.itemId);
        requirePerson(req.by);
        if (!req.reason || !req.reason.trim()) throw new Error('a waiver needs --reason');
        // An explicit instant only (the CLI sends one): a local time would depend on the worker's time zone.
        const expires = ISO_INSTANT.test(req.expires) ? Date.parse(req.expires) : NaN;
        if (Number.isNaN(expires))
          throw new Error(
            `expires "${req.expires}" is not an ISO 8601 instant with a zone (e.g. 2026-12-31T23:59:59Z)`,
          );
        if (expires <= Date.now())
          throw new Error(
            `--expires ${new Date(expires).toISOString()} is not in the future: the waiver would be expired already`,
          );
      },
    },
  );
  return { attestations, waivers, refresh, missing };
}
