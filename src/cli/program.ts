import { Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDurationMs } from '../core/duration';
import { exitCodeHelp } from '../core/exit-codes';
import { DEFAULT_RETENTION_MS, MIN_RETENTION_MS } from '../infra/retention';
import { DEFAULT_DATA_DIR, PACKAGE_ROOT } from '../infra/paths';
import { abortCommand } from './commands/abort';
import { attestCommand, historyCommand, rescoreCommand, waiveCommand } from './commands/checklist';
import { codecServerCommand } from './commands/codec-server';
import { approveCommand, rejectCommand } from './commands/gate';
import { demoCommand } from './commands/demo';
import { devCommand } from './commands/dev';
import { initCommand } from './commands/init';
import { reportCommand } from './commands/report';
import {
  scheduleCreateCommand,
  scheduleDeleteCommand,
  scheduleDescribeCommand,
  scheduleListCommand,
  schedulePauseCommand,
  scheduleResumeCommand,
  scheduleTriggerCommand,
} from './commands/schedule';
import { startCommand } from './commands/start';
import { statusCommand } from './commands/status';
import { validateCommand } from './commands/validate';
import { workerCommand } from './commands/worker';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('must be a port number (0 picks a free one)');
  return n;
}

/** A namespace retention for `dev` and `demo` (`30d`, `720h`): at least one day, the server's minimum. */
function retention(value: string): number {
  const ms = parseDurationMs(value);
  if (ms === undefined || ms < MIN_RETENTION_MS)
    throw new InvalidArgumentError('must be a duration of at least 1d (e.g. 30d)');
  return ms;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

const EXIT_HELP = exitCodeHelp();

function connectionOptions(cmd: Command): Command {
  return cmd
    .option(
      '--address <host:port>',
      'Temporal frontend (default: TEMPORAL_ADDRESS, a running `readiness dev`, or 127.0.0.1:7233)',
    )
    .option('--namespace <ns>', 'Temporal namespace (default: TEMPORAL_NAMESPACE or "default")')
    .option('--data-dir <dir>', 'data directory of a running `readiness dev`', DEFAULT_DATA_DIR);
}

/** Builds the `readiness` command tree. */
export function buildProgram(): Command {
  const program = new Command('readiness')
    .description('Durable production-readiness campaigns on Temporal, ending in a GO / CONDITIONAL_GO / NO_GO report.')
    .version(JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')).version)
    .addHelpText('after', EXIT_HELP)
    .showHelpAfterError()
    .exitOverride();

  program
    .command('dev')
    .description('run a local stack in the foreground: Temporal dev server, results Postgres, a worker')
    .option('--data-dir <dir>', 'where the Temporal db, Postgres cluster and reports live', DEFAULT_DATA_DIR)
    .option('--port <port>', 'Temporal gRPC port', port, 7233)
    .option('--ui-port <port>', 'Temporal Web UI port', port, 8233)
    .option('--install-postgres', 'apt-get install PostgreSQL if no server binaries are found')
    .option(
      '--retention <duration>',
      'how long the namespace keeps finished campaigns in the Web UI (at least 1d)',
      retention,
      DEFAULT_RETENTION_MS,
    )
    .action((o) => devCommand(o));

  program
    .command('worker')
    .description(
      'run a worker only (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, DATABASE_URL, READINESS_REPORT_DIR, READINESS_ALLOWED_HOSTS)',
    )
    .option('--load', 'serve only the load task queue: a load generator for phases with `generators: K`')
    .action((o) => workerCommand(o));

  program
    .command('codec-server')
    .description(
      "serve Temporal's remote codec protocol with READINESS_CODEC_KEYS, so the Web UI shows decrypted payloads (exit 2 without keys)",
    )
    .option('--port <port>', 'HTTP port (0: a free one)', port, 8888)
    .option('--host <host>', 'interface to listen on; anyone who can reach it can decrypt', '127.0.0.1')
    .option('--cors-origin <origin>', 'the Web UI origin allowed to call it', 'http://127.0.0.1:8233')
    .action((o) => codecServerCommand(o));

  program
    .command('validate')
    .description('validate a campaign file; lists every problem as `path: message` (exit 2 when invalid)')
    .argument('<campaign.yaml>')
    .option('--json', 'print a JSON summary')
    .action((file, o) => validateCommand(file, o));

  program
    .command('init')
    .description(
      'write a commented campaign file bootstrapped from an OpenAPI spec or a HAR recording (printed only once it validates; exit 2 otherwise)',
    )
    .option('--from-openapi <file>', 'an OpenAPI 3.0/3.1 or Swagger 2.0 spec (YAML or JSON): one request per operation')
    .option('--from-har <file>', "a browser's HAR recording: its requests to the main origin as one flow")
    .option('--base-url <url>', "the target's origin (default: the spec's server or the recorded origin)")
    .option('--name <name>', 'the campaign name (default: from the spec title or the recorded host)')
    .option(
      '--out <file>',
      'write the file there instead of stdout (inside the working directory or READINESS_OUT_DIRS, as for report --out)',
    )
    .option('--force', 'with --out: replace an existing file')
    .action(async (o) => {
      process.exitCode = await initCommand(o);
    });

  connectionOptions(program.command('start'))
    .description('validate and start a campaign; prints its id and Web UI link')
    .argument('<campaign.yaml>')
    .option('--wait', 'follow progress and exit with the verdict (0 GO, 3 NO_GO, 4 CONDITIONAL_GO)')
    .option('--json', 'print one JSON object as the last line')
    .option('--id <id>', 'campaign (workflow) id; default readiness-<name>-<timestamp>')
    .action(async (file, o) => {
      process.exitCode = await startCommand(file, o);
    });

  connectionOptions(program.command('status'))
    .description("show a campaign's progress (running) or verdict (finished)")
    .argument('<campaignId>')
    .option('--json', 'print JSON')
    .action((id, o) => statusCommand(id, o));

  program
    .command('report')
    .description("regenerate a campaign's report from the results store")
    .argument('<campaignId>')
    .addOption(new Option('--format <format>', 'report format').choices(['md', 'json', 'html']).default('md'))
    .option('--out <file>', 'write to a file instead of stdout')
    .option(
      '--data-dir <dir>',
      'data directory of a running `readiness dev` (for its results database)',
      DEFAULT_DATA_DIR,
    )
    .action((id, o) => reportCommand(id, o));

  connectionOptions(program.command('abort'))
    .description('stop a running campaign; it ends NO_GO with a partial report')
    .argument('<campaignId>')
    .requiredOption('--by <name>', 'who is aborting')
    .option('--reason <text>', 'why')
    .action((id, o) => abortCommand(id, o));

  connectionOptions(program.command('attest'))
    .description('attest a manual checklist item of a running campaign (a workflow update, validated by the campaign)')
    .argument('<campaignId>')
    .argument('<itemId>')
    .requiredOption('--by <name>', 'who attests')
    .option('--evidence <url>', 'where the evidence is (a link)')
    .option('--note <text>', 'a note')
    .action((id, item, o) => attestCommand(id, item, o));

  connectionOptions(program.command('waive'))
    .description(
      'waive a checklist item of a running campaign until a date: it leaves the score and is listed as waived',
    )
    .argument('<campaignId>')
    .argument('<itemId>')
    .requiredOption('--by <name>', 'who waives (the approver)')
    .requiredOption('--reason <text>', 'why')
    .requiredOption('--expires <date>', 'when the waiver ends (ISO 8601, e.g. 2026-12-31)')
    .action((id, item, o) => waiveCommand(id, item, o));

  connectionOptions(program.command('approve'))
    .description('approve the gate before a phase of a running campaign (a workflow update; ahead of time too)')
    .argument('<campaignId>')
    .requiredOption(
      '--gate <phase>',
      'the phase the gate stands before (baseline, stress, spike, monitoring, backup, faults, checklist)',
    )
    .requiredOption('--by <name>', "who approves (must be one of the gate's approvers, when it names them)")
    .option('--note <text>', 'a note')
    .action((id, o) => approveCommand(id, o));

  connectionOptions(program.command('reject'))
    .description('reject the gate before a phase: the campaign stops there and ends NO_GO')
    .argument('<campaignId>')
    .requiredOption('--gate <phase>', 'the phase the gate stands before')
    .requiredOption('--by <name>', 'who rejects')
    .requiredOption('--reason <text>', 'why')
    .action((id, o) => rejectCommand(id, o));

  program
    .command('rescore')
    .description("recompute a campaign's verdict from the stored evidence; exit 1 if it differs from the stored one")
    .argument('<campaignId>')
    .option('--json', 'print JSON')
    .option(
      '--data-dir <dir>',
      'data directory of a running `readiness dev` (for its results database)',
      DEFAULT_DATA_DIR,
    )
    .action((id, o) => rescoreCommand(id, o));

  program
    .command('history')
    .description('list past campaigns of a target URL or campaign name: date, decision, score, breaking point')
    .argument('<targetOrName>')
    .option('--json', 'print JSON')
    .option('--limit <n>', 'at most this many', positive, 50)
    .option(
      '--data-dir <dir>',
      'data directory of a running `readiness dev` (for its results database)',
      DEFAULT_DATA_DIR,
    )
    .action((t, o) => historyCommand(t, o));

  const schedule = program
    .command('schedule')
    .description(
      're-validate a campaign on a cron schedule (Temporal Schedules): create, list, describe, pause, resume, trigger, delete',
    );
  connectionOptions(schedule.command('create'))
    .description('validate a campaign file and schedule it; each run is a normal campaign (overlap: skip)')
    .argument('<campaign.yaml>')
    .requiredOption('--cron <cron>', 'when to run, e.g. "0 6 * * MON" (every Monday 06:00)')
    .option('--timezone <tz>', 'IANA time zone of the cron string (default UTC)')
    .option('--id <id>', 'schedule id; default readiness-<name>')
    .option('--catchup-window <duration>', 'run a missed run late only within this window (min 10s)', '1h')
    .option('--json', 'print JSON')
    .action((file, o) => scheduleCreateCommand(file, o));
  connectionOptions(schedule.command('list'))
    .description('list readiness schedules: id, campaign, cron, time zone, paused, next run')
    .option('--json', 'print JSON')
    .action((o) => scheduleListCommand(o));
  connectionOptions(schedule.command('describe'))
    .description("a schedule's spec, state, next 5 run times and recent runs with their verdicts")
    .argument('<scheduleId>')
    .option('--json', 'print JSON')
    .action((id, o) => scheduleDescribeCommand(id, o));
  connectionOptions(schedule.command('pause'))
    .description('pause a schedule (a running campaign goes on)')
    .argument('<scheduleId>')
    .option('--note <text>', 'why (shown by describe)')
    .action((id, o) => schedulePauseCommand(id, o));
  connectionOptions(schedule.command('resume'))
    .description('resume a paused schedule')
    .argument('<scheduleId>')
    .option('--note <text>', 'why (shown by describe)')
    .action((id, o) => scheduleResumeCommand(id, o));
  connectionOptions(schedule.command('trigger'))
    .description("start a run now, under the schedule's overlap policy; prints the run's workflow id")
    .argument('<scheduleId>')
    .option('--json', 'print JSON')
    .action((id, o) => scheduleTriggerCommand(id, o));
  connectionOptions(schedule.command('delete'))
    .description('delete a schedule (campaigns it started are kept)')
    .argument('<scheduleId>')
    .action((id, o) => scheduleDeleteCommand(id, o));

  program
    .command('demo')
    .description('run the demo campaign end to end on embedded defaults (Temporal, Postgres, a demo target) and stop')
    .option('--data-dir <dir>', 'data directory', DEFAULT_DATA_DIR)
    .option('--port <port>', 'Temporal gRPC port (0: a free port)', port, 0)
    .option('--ui-port <port>', 'Temporal Web UI port (0: a free port)', port, 0)
    .option('--scale <factor>', 'multiply every phase duration (e.g. 0.2 for a quick run)', positive, 1)
    .option('--json', 'print one JSON object as the last line')
    .option('--install-postgres', 'apt-get install PostgreSQL if no server binaries are found')
    .option(
      '--retention <duration>',
      'how long the namespace keeps finished campaigns in the Web UI (at least 1d)',
      retention,
      DEFAULT_RETENTION_MS,
    )
    .action((o) => demoCommand(o));

  return program;
}
