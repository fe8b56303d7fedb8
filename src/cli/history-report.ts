/** The report of a saved history: read, checked line by line, each scenario judged again by the checkers. */
import { readFileSync } from 'node:fs';
import { checkHistory } from '../core/checkers.js';
import { CliError, ExitCode, type ExitStatus } from '../core/errors.js';
import { judgeFaultHistory } from '../core/fault-verdicts.js';
import { parseHistory, scenariosOf, type Operation } from '../core/history.js';
import { historyReportLines, type HistoryVerdict } from './history-lines.js';
import { chalkFor } from './stream.js';

/** The operations of the history at path; a CliError (1) naming the file, or its first bad line, when it cannot be read. */
export function readHistory(path: string): Operation[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read the history ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const parsed = parseHistory(text);
  if ('error' in parsed) throw new CliError(`${path} line ${parsed.error.line} is not an operation of a history: ${parsed.error.reason}`);
  if (parsed.operations.length === 0) throw new CliError(`${path} holds no operation`);
  return parsed.operations;
}

/** Prints each scenario's verdict and figures; exit 3 when one fails. */
export function recheckHistory(history: readonly Operation[]): ExitStatus {
  const verdicts: HistoryVerdict[] = scenariosOf(history).map(({ scenario, operations }) => ({
    scenario,
    figures: checkHistory(operations),
    judgement: judgeFaultHistory(scenario, operations),
  }));
  for (const line of historyReportLines(verdicts, chalkFor())) process.stdout.write(`${line}\n`);
  return verdicts.some(({ judgement }) => judgement?.pass === false) ? ExitCode.missing : ExitCode.ok;
}
