import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
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

/** Payload of the attest update: a person vouches for a manual checklist item. */
export interface AttestRequest {
  itemId: string;
  by: string;
  evidence?: string;
  note?: string;
}

/** Payload of the waive update: an item is taken out of the score until `expires` (ISO 8601). */
export interface WaiveRequest {
  itemId: string;
  by: string;
  reason: string;
  expires: string;
}

/** What attest and waive answer: the manual items still missing. */
export interface ChecklistUpdateResult {
  itemId: string;
  missing: string[];
}

/**
 * Update: attest a manual item. Rejected (validator) for an unknown item, an automated item, an empty
 * name, or a campaign whose checklist is already scored.
 */
export const attestUpdate = defineUpdate<ChecklistUpdateResult, [AttestRequest]>('attest');

/** Update: waive an item until a date. Rejected for an unknown item, an expiry not in the future, no reason, or a scored checklist. */
export const waiveUpdate = defineUpdate<ChecklistUpdateResult, [WaiveRequest]>('waive');

/** Payload of the approve update: a person lets the campaign pass the gate before a phase. */
export interface ApproveRequest {
  /** The phase the gate stands before. */
  gate: string;
  by: string;
  note?: string;
}

/** Payload of the reject update: the campaign stops at the gate (NO_GO, rejected). */
export interface RejectRequest {
  gate: string;
  by: string;
  reason: string;
}

/** What approve and reject answer: the gate's state afterwards. */
export interface GateUpdateResult {
  gate: string;
  state: string;
}

/**
 * Update: approve the gate before a phase (also ahead of time). Rejected (validator) for a phase without a
 * gate, a gate already decided or timed out, or a person not among the gate's approvers.
 */
export const approveUpdate = defineUpdate<GateUpdateResult, [ApproveRequest]>('approve');

/** Update: reject the gate before a phase: the campaign stops there and ends NO_GO. Same validation, and a reason is required. */
export const rejectUpdate = defineUpdate<GateUpdateResult, [RejectRequest]>('reject');

/**
 * How a phase that runs its own activities (monitoring, backup, faults) lets an abort stop them: `run` executes a call in
 * a cancellation scope the campaign's abort handler cancels; `aborted` says whether (and by whom) it was aborted.
 */
export interface AbortControl {
  run<T>(call: () => Promise<T>): Promise<T>;
  aborted(): AbortRequest | undefined;
}
