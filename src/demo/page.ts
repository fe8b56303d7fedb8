/** The page of a demo run: a section for each scenario it ran, drawn from the history it recorded. */
import { runPageHtml, sectionId, writePage, type RunSection } from '../cli/output.js';
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
