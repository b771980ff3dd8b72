import { existsSync } from 'node:fs';
import { parseCampaignYaml } from '../../config/load';
import { ConfigError } from '../../core/errors';
import { EXIT } from '../../core/exit-codes';
import { parseBaseUrlOption } from '../../init/base-url';
import { harCampaignYaml } from '../../init/har';
import { InitInputError } from '../../init/input-error';
import { NAME_RE } from '../../init/names';
import { openApiCampaignYaml } from '../../init/openapi';
import { CliExit } from '../errors';
import { outPathProblem, writeOut } from '../out-path';

/** The options of `readiness init`. */
export interface InitFlags {
  fromOpenapi?: string;
  fromHar?: string;
  out?: string;
  force?: boolean;
  baseUrl?: string;
  name?: string;
}

/**
 * `readiness init --from-openapi FILE | --from-har FILE`: writes a commented campaign file bootstrapped from the
 * spec or the recording to stdout (or `--out FILE`), only once the text validates as a campaign. Every refusal (bad
 * option, unreadable or invalid input, a generated file that does not validate) is a {@link CliExit} with exit 2
 * before anything is written; `now` is the instant the header comment records.
 */
export async function initCommand(flags: InitFlags, now: Date = new Date()): Promise<number> {
  const problems: string[] = [];
  if ((flags.fromOpenapi === undefined) === (flags.fromHar === undefined))
    problems.push('give exactly one of --from-openapi FILE or --from-har FILE');
  if (flags.name !== undefined && !NAME_RE.test(flags.name))
    problems.push(
      `--name ${JSON.stringify(flags.name)}: a campaign name is lowercase letters, digits, "-" or "_" (at most 63, starting with a letter or digit)`,
    );
  if (flags.baseUrl !== undefined) {
    try {
      parseBaseUrlOption(flags.baseUrl);
    } catch (err) {
      problems.push(...(err as InitInputError).problems);
    }
  }
  // Checked before anything is read: a refused destination touches nothing.
  if (flags.out !== undefined) {
    const outProblem = outPathProblem(flags.out);
    if (outProblem) problems.push(`--out ${flags.out}: ${outProblem}`);
    else if (existsSync(flags.out) && !flags.force)
      problems.push(`--out ${flags.out}: exists already; pass --force to replace it`);
  }
  if (problems.length) throw new CliExit(EXIT.INVALID_INPUT, problems.map((p) => `error: ${p}`).join('\n'));

  const file = (flags.fromOpenapi ?? flags.fromHar)!;
  const options = { now, baseUrl: flags.baseUrl, name: flags.name };
  let text: string;
  try {
    text = flags.fromOpenapi
      ? await openApiCampaignYaml(flags.fromOpenapi, options)
      : await harCampaignYaml(file, options);
  } catch (err) {
    if (err instanceof InitInputError) throw new CliExit(EXIT.INVALID_INPUT, err.message);
    throw err;
  }

  let summary: string;
  try {
    const campaign = parseCampaignYaml(text, flags.out ?? '(generated campaign)');
    const flows = campaign.scenario.flows ?? [];
    const steps = flows.reduce((n, f) => n + f.steps.length, 0);
    summary = flows.length
      ? `a flow of ${steps} step${steps === 1 ? '' : 's'}`
      : `${campaign.scenario.requests.length} request${campaign.scenario.requests.length === 1 ? '' : 's'}`;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new CliExit(
      EXIT.INVALID_INPUT,
      `error: ${file}: the campaign generated from it does not validate, so nothing was written:\n` +
        err.problems.map((p) => `  ${p.path}: ${p.message}`).join('\n'),
    );
  }

  if (flags.out !== undefined) {
    await writeOut(flags.out, text);
    process.stderr.write(`wrote ${flags.out}: ${summary} from ${file}; review its comments, then readiness validate\n`);
  } else {
    process.stdout.write(text);
    process.stderr.write(`readiness init: ${summary} from ${file}; review the comments before running it\n`);
  }
  return EXIT.GO;
}
