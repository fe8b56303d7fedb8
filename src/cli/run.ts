import { describeError, exitCodeOf, ExitCode, type ExitStatus } from '../core/errors.js';

let outputClosed: (() => void) | undefined;
let readerGone = false;

/**
 * What to do when the reader of stdout goes away (| head): end as at Ctrl+C, keeping what was received
 * safe; the command then exits quietly with status 0. Without one, the command exits at once.
 */
export function onOutputClosed(stop: () => void): void {
  outputClosed = stop;
}

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
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    if (readerGone) return;
    readerGone = true;
    process.exitCode = ExitCode.ok;
    if (outputClosed) outputClosed();
    else process.exit(ExitCode.ok);
  });
  main().then(
    (status) => {
      process.exitCode = readerGone ? ExitCode.ok : status;
    },
    (error: unknown) => fail(error),
  );
}
