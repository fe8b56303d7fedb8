/** A record the report reads: a state file (one JSON object) or a command's --json output (JSON lines). */
import { readFileSync } from 'node:fs';
import { CliError, describeError } from '../core/errors.js';

/** The file's text, and the whole of it as one JSON value when it is one (undefined for JSON lines or garbage). */
export function readRecordFile(path: string): { text: string; whole: unknown } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${describeError(error)}`);
  }
  let whole: unknown;
  try {
    whole = JSON.parse(text);
  } catch {
    whole = undefined;
  }
  return { text, whole };
}
