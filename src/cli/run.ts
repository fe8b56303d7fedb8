import { describeError, exitCodeOf, type ExitStatus } from '../core/errors.js';

/**
 * Runs a command's main function and turns its outcome into an exit status.
 * The only place where errors become exit codes.
 */
export function runCommand(name: string, main: () => Promise<ExitStatus>): void {
  const fail = (error: unknown): void => {
    process.stderr.write(`${name}: ${describeError(error).split('\n')[0]}\n`);
    process.exitCode = exitCodeOf(error);
  };
  process.on('uncaughtException', (error) => {
    fail(error);
    process.exit(process.exitCode);
  });
  main().then(
    (status) => {
      process.exitCode = status;
    },
    (error: unknown) => fail(error),
  );
}
