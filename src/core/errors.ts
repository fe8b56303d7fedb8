/** Exit statuses shared by every command; documented in the README. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  missing: 3,
  /** The group report: nothing lost, but values still wait in the session of an absent member. */
  waiting: 4,
  /** The consumer: messages arrived, and not one held a value to check. */
  nothingVerified: 5,
} as const;

export type ExitStatus = (typeof ExitCode)[keyof typeof ExitCode];

/** A problem a person can act on: printed as one line, mapped to an exit status. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitStatus = ExitCode.failure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.usage);
    this.name = 'UsageError';
  }
}

/** One line for stderr, whatever was thrown: never a stack trace. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    // OpenSSL's messages run over several lines of internals; its reason says it in a few words.
    const reason = (error as Error & { reason?: unknown }).reason;
    if (typeof code === 'string' && code.startsWith('ERR_SSL_') && typeof reason === 'string') return `${reason} (${code})`;
    if (error instanceof CliError || !code || error.message.includes(code)) return error.message;
    return `${error.message} (${code})`;
  }
  return String(error);
}

export function exitCodeOf(error: unknown): ExitStatus {
  return error instanceof CliError ? error.exitCode : ExitCode.failure;
}
