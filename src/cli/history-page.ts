/** The page of a saved history: each scenario's timeline and figures, written as one HTML file. */
import { readFileSync } from 'node:fs';
import writeFileAtomic from 'write-file-atomic';
import { CliError } from '../core/errors.js';
import { parseHistory, scenariosOf } from '../core/history.js';
import { runPageHtml, sectionId } from './run-page.js';

/** Writes the page of a page's runs; a CliError naming the file when it cannot be written. */
export function writePage(path: string, html: string): void {
  try {
    writeFileAtomic.sync(path, html);
  } catch (error) {
    throw new CliError(`cannot write the page ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/** The page of the history at historyPath (already read and checked by the report), written to htmlPath. */
export function writeHistoryPage(historyPath: string, htmlPath: string): void {
  const parsed = parseHistory(readFileSync(historyPath, 'utf8'));
  if ('error' in parsed) throw new CliError(`${historyPath} line ${parsed.error.line} is not an operation of a history: ${parsed.error.reason}`);
  const sections = scenariosOf(parsed.operations).map(({ scenario, operations }) => ({ id: sectionId(scenario), scenario, verdict: null, observed: null, operations }));
  writePage(htmlPath, runPageHtml({ title: `The runs of ${historyPath}`, subtitle: `${sections.length} scenario${sections.length === 1 ? '' : 's'}, ${parsed.operations.length} operations, judged again from the history`, sections }));
}
