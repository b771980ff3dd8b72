import { loadReport, renderReport } from '../../report/write';
import { UnknownCampaignError } from '../../core/errors';
import { EXIT } from '../../core/exit-codes';
import { createPool } from '../../infra/db';
import { resolveEndpoints } from '../../infra/dev-state';
import { ResultsStore } from '../../infra/results-store';
import { CliExit } from '../errors';
import { outPathProblem, writeOut } from '../out-path';

/** `readiness report <id>`: regenerates the report from the results store, to stdout or a file. */
export async function reportCommand(
  campaignId: string,
  flags: { format: string; out?: string; dataDir?: string },
): Promise<void> {
  if (flags.format !== 'md' && flags.format !== 'json' && flags.format !== 'html')
    throw new CliExit(EXIT.INVALID_INPUT, `error: --format must be md, json or html, not "${flags.format}"`);
  // Checked before anything else runs: a refused path touches nothing.
  const outProblem = flags.out !== undefined ? outPathProblem(flags.out) : undefined;
  if (outProblem) throw new CliExit(EXIT.INVALID_INPUT, `error: --out ${flags.out}: ${outProblem}`);
  const { databaseUrl } = resolveEndpoints({ dataDir: flags.dataDir });
  if (!databaseUrl)
    throw new CliExit(
      EXIT.COULD_NOT_RUN,
      'error: no results database: set DATABASE_URL or run `readiness dev` in this directory',
    );
  const pool = createPool(databaseUrl, 1);
  try {
    const report = await loadReport(new ResultsStore(pool), campaignId, new Date());
    if (!report) throw new UnknownCampaignError(campaignId);
    const text = renderReport(report, flags.format);
    if (flags.out) {
      await writeOut(flags.out, text);
      process.stderr.write(`wrote ${flags.out}\n`);
    } else process.stdout.write(text);
  } finally {
    await pool.end();
  }
}
