/** The page of a saved history: each scenario's timeline and figures, written as one HTML file. */
import writeFileAtomic from 'write-file-atomic';
import { CliError } from '../core/errors.js';
import { scenariosOf, type Operation } from '../core/history.js';
import { runPageHtml, sectionId } from './run-page.js';

/** Writes the page of a page's runs; a CliError naming the file when it cannot be written. */
export function writePage(path: string, html: string): void {
  try {
    writeFileAtomic.sync(path, html);
  } catch (error) {
    throw new CliError(`cannot write the page ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/** The page of the history read from historyPath, written to htmlPath. */
export function writeHistoryPage(history: readonly Operation[], historyPath: string, htmlPath: string): void {
  const sections = scenariosOf(history).map(({ scenario, operations }) => ({ id: sectionId(scenario), scenario, verdict: null, observed: null, operations }));
  writePage(htmlPath, runPageHtml({ title: `The runs of ${historyPath}`, subtitle: `${sections.length} scenario${sections.length === 1 ? '' : 's'}, ${history.length} operations, judged again from the history`, sections }));
}
