/**
 * The state a running campaign shares with its handlers: progress (what the `progress` query answers and the Web
 * UI's current details show), whether and by whom it was stopped, and the cancellation scopes an abort cancels.
 */
import {
  CancellationScope,
  getExternalWorkflowHandle,
  log,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { currentDetails } from '../core/outcomes';
import { PHASES, type CampaignProgress } from '../core/types';
import { abortSignal, progressQuery, type AbortControl, type AbortRequest } from './messages';

/** A running campaign's shared state. */
export interface CampaignRun {
  campaignId: string;
  progress: CampaignProgress;
  /** Set once the campaign is stopped: an abort signal, a rejection at a gate or an aborting gate timeout. */
  aborted?: AbortRequest;
  /** The scope of the load step running now: an abort cancels it. */
  loadScope?: CancellationScope;
  /** Scopes of drills and probes running now (monitoring runs its probes side by side): an abort cancels each. */
  phaseScopes: Set<CancellationScope>;
  /** The phase child workflow running now: an abort is forwarded to it. */
  childId?: string;
}

/** A new run, every phase pending. */
export function newRun(campaignId: string, name: string, startedAt: string): CampaignRun {
  const phases = Object.fromEntries(PHASES.map((p) => [p, { status: 'pending' }])) as CampaignProgress['phases'];
  return { campaignId, progress: { campaignId, name, phase: 'starting', phases, startedAt }, phaseScopes: new Set() };
}

/** Shows the run's progress in the Web UI (current details; a metadata query, not a command: replay-safe). */
export function publish(run: CampaignRun, verdict?: Parameters<typeof currentDetails>[1]): void {
  setCurrentDetails(currentDetails(run.progress, verdict));
}

/** Stops the run (the phases still to come are skipped; the campaign still scores and reports, NO_GO). */
export function stopRun(run: CampaignRun, req: AbortRequest): void {
  run.aborted = req;
  run.progress.abortedBy = req.by;
}

/**
 * Answers the `progress` query and takes the `abort` signal: the running load step, drills and probes are
 * cancelled, and a running phase child is told to stop its step and return what it measured.
 */
export function installProgressAndAbort(run: CampaignRun): void {
  setHandler(progressQuery, () => run.progress);
  setHandler(abortSignal, (req) => {
    if (run.aborted) return;
    stopRun(run, req);
    publish(run);
    log.warn('campaign aborted', { by: req.by, reason: req.reason });
    run.loadScope?.cancel();
    for (const scope of run.phaseScopes) scope.cancel();
    if (run.childId)
      getExternalWorkflowHandle(run.childId)
        .signal(abortSignal, req)
        .catch(() => undefined);
  });
}

/** How monitoring and backup run their activities so that an abort cancels them. */
export function abortControl(run: CampaignRun): AbortControl {
  return {
    run: async (call) => {
      const scope = new CancellationScope();
      run.phaseScopes.add(scope);
      try {
        return await scope.run(call);
      } finally {
        run.phaseScopes.delete(scope);
      }
    },
    aborted: () => run.aborted,
  };
}

/** Updates are refused once the history holds this many events (Temporal warns at 10,240): the campaign must finish. */
export const UPDATE_HISTORY_LIMIT = 9_000;

/**
 * Refuses an update (attest, waive, approve, reject) when the campaign's history is near Temporal's limit: each
 * accepted update adds events, and a person attesting in a loop must not push the campaign past it.
 */
export function requireHistoryRoom(): void {
  const length = workflowInfo().historyLength;
  if (length > UPDATE_HISTORY_LIMIT) {
    throw new Error(
      `the campaign's history holds ${length} events, near Temporal's limit: no more updates are accepted; let it finish`,
    );
  }
}
