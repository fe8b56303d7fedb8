/** The page of a demo run: a section for each scenario it ran, drawn from the history it recorded. */
import { overviewTableHtml, runPageHtml, sectionId, writePage, type RunSection } from '../cli/output.js';
import type { ScenarioResult } from './run.js';

/** Each scenario's history, verdict and observation as a section of the page; prefix: what makes its anchor unique on a page of several runs. */
export function scenarioSections(results: readonly ScenarioResult[], prefix = ''): RunSection[] {
  return results.map(({ scenario, outcome, operations }) => ({
    id: sectionId(prefix, scenario.name),
    scenario: scenario.name,
    about: `${scenario.title}. ${scenario.claim}`,
    verdict: outcome.verdict,
    observed: outcome.observed,
    operations,
  }));
}

/** Writes the page of the scenarios run on one broker; ranOn: the broker in words, command: the command line. */
export function writeScenarioPage(path: string, results: readonly ScenarioResult[], ranOn: string, command: string): void {
  const sections = scenarioSections(results);
  writePage(path, runPageHtml({ title: `The demo: ${sections.length === 1 ? sections[0]!.scenario : `${sections.length} scenarios`}`, subtitle: `${ranOn}; ${command}; ${new Date().toISOString()}`, sections }));
}

/** One column of a matrix: what each scenario came to on one broker, and the runs behind it. */
export interface MatrixColumn {
  title: string;
  /** Every scenario's verdict in this column, run or not (N/A, a broker that did not start). */
  verdicts: ReadonlyMap<string, string>;
  ran: readonly ScenarioResult[];
}

/** The matrix as a page: its table, each cell that ran linked to its run's section below. */
export function writeMatrixPage(path: string, rows: readonly string[], columns: readonly MatrixColumn[], command: string): void {
  const sections = columns.flatMap((column) => scenarioSections(column.ran, column.title).map((section) => ({ ...section, heading: `${section.scenario} on ${column.title}` })));
  const ids = new Set(sections.map((section) => section.id));
  const byTitle = new Map(columns.map((column) => [column.title, column]));
  const overview = overviewTableHtml(rows, [...byTitle.keys()], (row, title) => {
    const id = sectionId(title, row);
    return { text: byTitle.get(title)!.verdicts.get(row) ?? '', section: ids.has(id) ? id : undefined };
  });
  writePage(path, runPageHtml({ title: 'The matrix: every scenario on every broker', subtitle: `${command}; ${new Date().toISOString()}`, sections, overview }));
}
