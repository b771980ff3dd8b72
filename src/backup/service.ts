/**
 * The service recovery drill: run the configured kill/restart command (an argv array, no shell, the
 * program on the worker's allowlist), then poll the health URL until it answers 2xx; the recovery time
 * is from the command's end until then.
 */
import path from 'node:path';
import { statusFromFindings, type DrillResult, type Finding } from '../core/backup';
import { run } from '../infra/process';
import { probe } from '../monitoring/http';

export interface ServiceDrillOptions {
  name: string;
  command: string[];
  healthUrl: string;
  maxRecoveryMs: number;
  /** Programs the worker may run (READINESS_ALLOWED_COMMANDS): names or absolute paths. */
  allowedCommands: string[];
  signal?: AbortSignal;
}

/** Whether argv[0] is on the allowlist (by absolute path, or by name for a bare program name). */
export function commandAllowed(program: string, allowed: string[]): boolean {
  return allowed.some((a) => a === program || (!program.includes('/') && path.basename(a) === program));
}

async function healthy(url: string): Promise<boolean> {
  const p = await probe(url, { timeoutMs: 2_000 });
  return p.ok && p.status >= 200 && p.status < 300;
}

export async function serviceRecoveryDrill(o: ServiceDrillOptions): Promise<DrillResult> {
  const findings: Finding[] = [];
  const result: DrillResult = { id: `service.${o.name}`, title: `${o.name}: recovery after a kill`, status: 'pass', timings: {}, targets: { maxRecoveryS: o.maxRecoveryMs / 1000 }, findings, evidence: { command: o.command, healthUrl: o.healthUrl } };
  const [program, ...args] = o.command;
  if (!commandAllowed(program!, o.allowedCommands)) {
    return { ...result, status: 'error', findings: [{ severity: 'P1', message: `"${program}" is not on this worker's READINESS_ALLOWED_COMMANDS (${o.allowedCommands.join(', ') || 'empty'}): not run` }] };
  }
  if (!(await healthy(o.healthUrl))) {
    return { ...result, status: 'error', findings: [{ severity: 'P1', message: `${o.healthUrl} is not healthy before the drill: not killing an already broken service` }] };
  }
  const ran = await run(program!, args, { timeout: 60_000, signal: o.signal });
  result.evidence!.commandExit = ran.code;
  if (ran.code !== 0) {
    findings.push({ severity: 'P1', message: `the command exited ${ran.code}: ${ran.stderr.trim().slice(0, 200)}` });
    result.status = statusFromFindings(findings);
    return result;
  }
  const started = Date.now();
  const deadline = started + Math.max(o.maxRecoveryMs * 2, o.maxRecoveryMs + 10_000);
  let sawDown = false;
  let recoveredAt: number | undefined;
  while (Date.now() < deadline && !o.signal?.aborted) {
    if (await healthy(o.healthUrl)) {
      if (sawDown || Date.now() - started > 1_000) {
        recoveredAt = Date.now();
        break;
      }
    } else sawDown = true;
    await new Promise((r) => setTimeout(r, 100));
  }
  result.evidence!.sawDown = sawDown;
  if (recoveredAt === undefined) {
    findings.push({ severity: 'P1', message: `did not recover: ${o.healthUrl} not healthy within ${Math.round((deadline - started) / 1000)} s` });
  } else {
    const s = Math.round((recoveredAt - started) / 10) / 100;
    result.timings!.recoveryS = s;
    if (!sawDown) findings.push({ severity: 'P2', message: 'the health check never failed: the command may not have stopped the service' });
    if (s * 1000 > o.maxRecoveryMs) findings.push({ severity: 'P1', message: `recovered in ${s} s, over maxRecoveryTime ${o.maxRecoveryMs / 1000} s` });
  }
  result.status = statusFromFindings(findings);
  return result;
}
