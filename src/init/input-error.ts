/**
 * Thrown by `readiness init` when its input (an OpenAPI spec, a HAR recording, an option) cannot be used; carries
 * every problem found, each a sentence naming it. The CLI prints them and exits 2 (invalid input) without writing.
 */
export class InitInputError extends Error {
  constructor(
    public readonly problems: string[],
    public readonly file?: string,
  ) {
    super(problems.map((p) => `error: ${file ? `${file}: ` : ''}${p}`).join('\n'));
    this.name = 'InitInputError';
  }
}

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
};

/** Why a file could not be read, in words, with the system's code kept (`no such file (ENOENT)`). */
export function readProblem(err: NodeJS.ErrnoException): string {
  return err.code ? `${READ_ERRORS[err.code] ?? 'error'} (${err.code})` : err.message;
}
