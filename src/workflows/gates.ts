/**
 * Approval gates: `approve` / `reject` updates (accepted ahead of time too, until the gate is decided) and the
 * wait at a gate before a phase, up to its timeout.
 */
import { condition, log, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Campaign } from '../config/schema';
import { parseDurationMs } from '../core/duration';
import { SA_PHASE } from '../core/names';
import type { GateProgress, PhaseName, PhaseOutcome } from '../core/types';
import { publish, requireHistoryRoom, stopRun, type CampaignRun } from './campaign-run';
import { approveUpdate, rejectUpdate, type ApproveRequest, type RejectRequest } from './messages';

/** Refuses an update without a person's name, or once the history is near Temporal's limit. */
export function requirePerson(by: string): void {
  if (!by || !by.trim()) throw new Error('--by must name the person');
  requireHistoryRoom();
}

/**
 * Installs the approve / reject handlers of the campaign's gates and returns `passGate(phase)`: it waits at the
 * gate before `phase`, if there is one, until it is approved or rejected (or was ahead of time), the campaign is
 * aborted, or the timeout passes. It returns `skip` with the phase's outcome when the phase is to be skipped; a
 * rejection or an aborting timeout stops the campaign (as an abort does).
 */
export function installGates(
  campaign: Campaign,
  run: CampaignRun,
): (phase: PhaseName) => Promise<{ skip?: PhaseOutcome }> {
  const gates: GateProgress[] = (campaign.gates ?? []).map((g) => ({
    before: g.before,
    state: 'pending',
    onTimeout: g.onTimeout,
    ...(g.approvers ? { approvers: g.approvers } : {}),
  }));
  if (gates.length) run.progress.gates = gates;
  const gateOf = (req: { gate: string; by: string }) => {
    const g = gates.find((x) => x.before === req.gate);
    if (!g)
      throw new Error(
        `no gate before "${req.gate}" in this campaign${gates.length ? ` (gates: ${gates.map((x) => x.before).join(', ')})` : ''}`,
      );
    if (g.state !== 'pending' && g.state !== 'waiting')
      throw new Error(`the gate before ${g.before} is already ${g.state}${g.by ? ` (by ${g.by})` : ''}`);
    requirePerson(req.by);
    if (g.approvers && !g.approvers.includes(req.by.trim()))
      throw new Error(
        `${req.by} is not an approver of the gate before ${g.before} (approvers: ${g.approvers.join(', ')})`,
      );
    return g;
  };
  const decide = (g: GateProgress, state: 'approved' | 'rejected', by: string, note?: string) => {
    Object.assign(g, {
      state,
      by: by.trim(),
      at: new Date().toISOString(),
      until: undefined,
      ...(note ? { note } : {}),
    });
    log.info(`gate ${state}`, { gate: g.before, by });
    return { gate: g.before, state: g.state };
  };
  setHandler(approveUpdate, (req: ApproveRequest) => decide(gateOf(req), 'approved', req.by, req.note), {
    validator: (req: ApproveRequest) => void gateOf(req),
  });
  setHandler(rejectUpdate, (req: RejectRequest) => decide(gateOf(req), 'rejected', req.by, req.reason), {
    validator: (req: RejectRequest) => {
      gateOf(req);
      if (!req.reason || !req.reason.trim()) throw new Error('a rejection needs --reason');
    },
  });

  return async function passGate(phase: PhaseName): Promise<{ skip?: PhaseOutcome }> {
    const g = gates.find((x) => x.before === phase);
    const cfg = campaign.gates?.find((x) => x.before === phase);
    if (!g || !cfg || run.aborted) return {};
    if (g.state === 'pending') {
      const timeoutMs = parseDurationMs(cfg.timeout) ?? 0;
      g.state = 'waiting';
      g.until = new Date(Date.now() + timeoutMs).toISOString();
      run.progress.phase = phase;
      run.progress.step = `waiting for approval until ${g.until}${g.approvers ? ` (approvers: ${g.approvers.join(', ')})` : ''}`;
      upsertSearchAttributes([{ key: SA_PHASE, value: `approval:${phase}` }]);
      publish(run);
      await condition(() => g.state !== 'waiting' || !!run.aborted, timeoutMs);
    }
    if (run.aborted || g.state === 'approved') return {};
    if (g.state === 'rejected') {
      stopRun(run, { by: g.by!, reason: `rejected at the gate before ${phase}: ${g.note ?? ''}` });
      return {};
    }
    g.state = 'timed_out';
    g.until = undefined;
    if (cfg.onTimeout === 'skip')
      return {
        skip: {
          status: 'not_run',
          reason: `skipped: the approval gate before ${phase} timed out after ${cfg.timeout} without a decision`,
        },
      };
    stopRun(run, {
      by: 'gate timeout',
      reason: `the approval gate before ${phase} timed out after ${cfg.timeout} without a decision`,
    });
    return {};
  };
}
