/**
 * The service recovery drill: run a kill/restart command the operator declared on the worker (a whole argv,
 * absolute program path, no shell; the campaign names it), then poll the health URL until it answers 2xx;
 * the recovery time is from the command's end until then.
 */
import { statusFromFindings, type DrillResult, type Finding } from '../core/backup';
import type { EgressGuard } from '../core/egress';
import { run } from '../infra/process';
import { probe } from '../monitoring/http';

export interface ServiceDrillOptions {
  name: string;
  /** The name of a declared command (a key of `commands`). */
  command: string;
  healthUrl: string;
  maxRecoveryMs: number;
  /** The commands the worker may run (READINESS_RECOVERY_COMMANDS): name -> argv, argv[0] an absolute path. */
  commands: Record<string, string[]>;
  /** The egress policy the health URL is checked against. */
  egress: EgressGuard;
  signal?: AbortSignal;
}

/** The most of a recovery command's stdout and stderr kept (each); the rest is discarded as it arrives. */
export const MAX_COMMAND_OUTPUT_BYTES = 64 * 1024;

export async function serviceRecoveryDrill(o: ServiceDrillOptions): Promise<DrillResult> {
  const findings: Finding[] = [];
  const result: DrillResult = {
    id: `service.${o.name}`,
    title: `${o.name}: recovery after a kill`,
    status: 'pass',
    timings: {},
    targets: { maxRecoveryS: o.maxRecoveryMs / 1000 },
    findings,
    evidence: { command: o.command, healthUrl: o.healthUrl },
  };
  const argv =
    typeof o.command === 'string' && Object.hasOwn(o.commands, o.command) ? o.commands[o.command] : undefined;
  if (!argv) {
    const declared = Object.keys(o.commands);
    return {
      ...result,
      status: 'error',
      findings: [
        {
          severity: 'P1',
          message: `"${String(o.command)}" is not a recovery command declared on this worker in READINESS_RECOVERY_COMMANDS (${declared.length ? declared.join(', ') : 'none declared'}): nothing was run`,
        },
      ],
    };
  }
  const healthy = async () => {
    const p = await probe(o.healthUrl, { timeoutMs: 2_000, egress: o.egress, statusOnly: true });
    return {
      ok: p.ok && p.status >= 200 && p.status < 300,
      refused: !p.ok && p.error.startsWith('refused: ') ? p.error : undefined,
    };
  };
  const before = await healthy();
  if (before.refused)
    return {
      ...result,
      status: 'error',
      findings: [{ severity: 'P1', message: `healthUrl ${o.healthUrl}: ${before.refused}; nothing was run` }],
    };
  if (!before.ok) {
    return {
      ...result,
      status: 'error',
      findings: [
        {
          severity: 'P1',
          message: `${o.healthUrl} is not healthy before the drill: not killing an already broken service`,
        },
      ],
    };
  }
  const [program, ...args] = argv;
  const ran = await run(program!, args, {
    timeout: 60_000,
    signal: o.signal,
    maxOutputBytes: MAX_COMMAND_OUTPUT_BYTES,
  });
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
    if ((await healthy()).ok) {
      if (sawDown || Date.now() - started > 1_000) {
        recoveredAt = Date.now();
        break;
      }
    } else sawDown = true;
    await new Promise((r) => setTimeout(r, 100));
  }
  result.evidence!.sawDown = sawDown;
  if (recoveredAt === undefined) {
    findings.push({
      severity: 'P1',
      message: `did not recover: ${o.healthUrl} not healthy within ${Math.round((deadline - started) / 1000)} s`,
    });
  } else {
    const s = Math.round((recoveredAt - started) / 10) / 100;
    result.timings!.recoveryS = s;
    if (!sawDown)
      findings.push({
        severity: 'P2',
        message: 'the health check never failed: the command may not have stopped the service',
      });
    if (s * 1000 > o.maxRecoveryMs)
      findings.push({
        severity: 'P1',
        message: `recovered in ${s} s, over maxRecoveryTime ${o.maxRecoveryMs / 1000} s`,
      });
  }
  result.status = statusFromFindings(findings);
  return result;
}
