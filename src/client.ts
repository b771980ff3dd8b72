/**
 * The `readiness` CLI entrypoint: builds the commander program and maps errors to documented exit codes.
 */
import { buildProgram } from './cli/program';
import { reportFailure } from './cli/errors';

/** Runs the CLI with the given argv (defaults to the process's). */
export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.exitCode = reportFailure(err);
  }
}

if (require.main === module) void main();
