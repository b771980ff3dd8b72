/**
 * The `type` of every ApplicationFailure the project throws, in one place: retry policies name these in
 * `nonRetryableErrorTypes`, so a typo must fail to compile, not turn a permanent failure into retries.
 */
export const FAILURE = {
  /** A campaign's configuration cannot work on this worker (an unset or undeclared variable, ...). */
  CONFIG: 'ConfigError',
  /** A connection to a host off the worker's allowlist was refused before it was made. */
  HOST_NOT_ALLOWED: 'HostNotAllowed',
  /** A phase asked for more users or req/s than the worker's caps. */
  LOAD_CAP: 'LoadCapExceeded',
  /** The campaign workflow's input is not a valid campaign. */
  INVALID_CAMPAIGN: 'InvalidCampaign',
  /** A campaign (its evaluation, its report source) is not in the results store: nothing to retry for. */
  NOT_IN_STORE: 'NotInResultsStore',
  /** A continuous ramp's stage is not stored yet by the running load (retryable: it comes). */
  STAGE_NOT_READY: 'StageNotReady',
} as const;

/** Failures no retry can fix, for `nonRetryableErrorTypes`. */
export const PERMANENT = [FAILURE.CONFIG, FAILURE.NOT_IN_STORE] as const;
/** What a load activity must not retry either: a refused host, a cap the worker will not raise. */
export const PERMANENT_LOAD = [...PERMANENT, FAILURE.HOST_NOT_ALLOWED, FAILURE.LOAD_CAP] as const;

/** One problem in a campaign file, as `path: message`. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/** Thrown when a campaign file cannot be read, parsed or validated; carries every problem found. */
export class ConfigError extends Error {
  constructor(
    public readonly problems: ConfigProblem[],
    public readonly file?: string,
  ) {
    super(
      `${file ? `${file}: ` : ''}invalid campaign (${problems.length} problem${problems.length === 1 ? '' : 's'})\n` +
        problems.map((p) => `  ${p.path}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** Thrown when an environment variable has an invalid value; names the variable and the problem (exit 2). */
export class EnvironmentError extends Error {
  constructor(
    public readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'EnvironmentError';
  }
}

/** Thrown when a required component (Temporal CLI, PostgreSQL, a port) cannot be provided; says what was tried. */
export class InfrastructureError extends Error {
  constructor(
    message: string,
    public readonly tried: string[] = [],
  ) {
    super(tried.length ? `${message}\nTried:\n${tried.map((t) => `  - ${t}`).join('\n')}` : message);
    this.name = 'InfrastructureError';
  }
}

/** Thrown when a CLI command names a campaign the server does not know. */
export class UnknownCampaignError extends Error {
  constructor(public readonly campaignId: string) {
    super(`no campaign with id "${campaignId}" (check the id with the Web UI or \`readiness status\`)`);
    this.name = 'UnknownCampaignError';
  }
}

/** Thrown when a campaign id is already in use by a running campaign. */
export class CampaignAlreadyRunningError extends Error {
  constructor(public readonly campaignId: string) {
    super(`campaign "${campaignId}" is already running; pick another --id or wait for it to finish`);
    this.name = 'CampaignAlreadyRunningError';
  }
}
