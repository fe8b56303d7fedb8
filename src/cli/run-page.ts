/**
 * The page of a run: one self-contained HTML file (inline SVG and CSS, nothing loaded from anywhere,
 * no script) with a section per scenario: its timeline, a legend, and the checkers' figures beside it.
 * A table of contents, or a matrix's table, links to the sections.
 */
import { checkHistory } from '../core/checkers.js';
import { judgeFaultHistory } from '../core/fault-verdicts.js';
import type { Operation } from '../core/history.js';
import { runPicture, seriesKinds, type RunPicture, type SeriesKind } from '../core/run-picture.js';
import { formatDuration } from './format.js';
import { figureLines, judgementObserved } from './history-lines.js';
import { escapeXml, failoverColour, hatchId, lostColour, markerShape, seriesStyle, sharedDefinitions, timelineSvg } from './run-timeline.js';

/** One run as the page shows it. */
export interface RunSection {
  /** The anchor the section is linked by. */
  id: string;
  /** The scenario whose history it is: its verdict is judged by this name when none is given. */
  scenario: string;
  /** Shown above it; the scenario's name when not given. */
  heading?: string;
  /** The scenario's title or the claim, when known. */
  about?: string;
  /** PASS, FAIL, SKIPPED, N/A; null when the run has no verdict (a history whose scenario has no rule). */
  verdict: string | null;
  observed: string | null;
  operations: readonly Operation[];
}

export interface RunPage {
  title: string;
  /** What was run, where and when, in a line. */
  subtitle: string;
  sections: RunSection[];
  /** Placed above the sections instead of the list of them (a matrix's table). */
  overview?: string;
}

/** An anchor made of a name: letters, digits and dashes. */
export function sectionId(...parts: string[]): string {
  return parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** The fault windows' hatching, said once for each kind a run has. */
const faultLegend: Record<string, string> = {
  kill: 'kill → start (SIGKILL, then started again)',
  pause: 'pause → resume (SIGSTOP, SIGCONT)',
  isolate: 'isolate → heal (cut off from the others)',
  disconnect: 'disconnect → heal (cut off from the others and the clients)',
  'restart-all': 'clean restart of every node',
  other: 'another fault, labelled by its name',
};

const seriesWords: Record<SeriesKind, string> = {
  sent: 'sent by the producer',
  acknowledged: 'acknowledged to the producer',
  delivered: 'delivered to the consumer (band: lowest to highest in a time bin)',
};

function swatch(body: string): string {
  return `<svg width="34" height="14" viewBox="0 0 34 14" aria-hidden="true">${body}</svg>`;
}

/** What every mark means, with the mark itself. */
export function legendHtml(picture: RunPicture): string {
  const binMs = picture.binMs;
  const items = seriesKinds.map((kind) => {
    const style = seriesStyle[kind];
    const lineBody = `<line x1="1" x2="33" y1="7" y2="7" stroke="${style.colour}" stroke-width="${style.width}"${style.dash ? ` stroke-dasharray="${style.dash}"` : ''}/>${markerShape(style.shape, 17, 7, style.colour, 3.5)}`;
    return `<li>${swatch(lineBody)} ${seriesWords[kind]}</li>`;
  });
  const fault = (kind: string, words: string): string => `<li>${swatch(`<rect x="1" y="1" width="32" height="12" fill="#000" fill-opacity="0.07"/><rect x="1" y="1" width="32" height="12" fill="url(#${hatchId(kind)})" stroke="#444" stroke-dasharray="3 2"/>`)} ${words}</li>`;
  const present = new Set(picture.faults.map((window) => hatchId(window.kind)));
  items.push(
    `<li>${swatch(markerShape('cross', 17, 7, lostColour, 5))} acknowledged and never delivered (lost), where it was sent</li>`,
    ...Object.entries(faultLegend)
      .filter(([kind]) => present.has(hatchId(kind)))
      .map(([kind, words]) => fault(kind, words)),
    `<li>${swatch(`<line x1="4" x2="26" y1="7" y2="7" stroke="${failoverColour}" stroke-width="2.5" marker-end="url(#arrow-failover)"/>`)} failover: from the fault to the first value after it</li>`,
    `<li>${swatch('<line x1="6" x2="28" y1="7" y2="7" stroke="#000" stroke-width="1.5" marker-start="url(#arrow-gap-start)" marker-end="url(#arrow-gap)"/>')} the longest time without delivery</li>`,
  );
  return `<ul class="legend">${items.join('')}</ul><p class="note">Each value is counted in a time bin of ${formatDuration(binMs)}; each line holds the highest value so far (flat: nothing new came); values/s are counted over a few bins.</p>`;
}

const verdictMark: Record<string, string> = { PASS: '✓ PASS', FAIL: '✗ FAIL', SKIPPED: '– SKIPPED', 'N/A': '○ N/A' };

/** One scenario: heading and verdict, the picture, the legend and the figures beside it. */
export function sectionHtml(section: RunSection): string {
  const judgement = judgeFaultHistory(section.scenario, section.operations);
  const figures = judgement?.figures ?? checkHistory(section.operations);
  const picture = runPicture(section.operations, figures, judgement?.failover);
  const verdict = section.verdict ?? (judgement ? (judgement.pass ? 'PASS' : 'FAIL') : null);
  const observed = section.observed ?? (judgement ? judgementObserved(judgement) : null);
  const heading = section.heading ?? section.scenario;
  const badge = verdict === null ? '' : `<span class="verdict verdict-${sectionId(verdict)}">${escapeXml(verdictMark[verdict] ?? verdict)}</span>`;
  const body =
    section.operations.length === 0
      ? '<p class="note">Nothing was recorded in this run.</p>'
      : `<div class="run"><figure>${timelineSvg(picture, `${heading}: values sent, acknowledged and delivered over time, with the faults`)}${legendHtml(picture)}</figure>` +
        `<aside><h3>The checkers' figures</h3><ul class="figures">${figureLines(figures)
          .map((line) => `<li>${escapeXml(line)}</li>`)
          .join('')}</ul></aside></div>`;
  return (
    `<section id="${section.id}" data-verdict="${escapeXml(verdict ?? '')}"><h2>${escapeXml(heading)} ${badge}</h2>` +
    (section.about ? `<p class="about">${escapeXml(section.about)}</p>` : '') +
    (observed ? `<p class="observed">Observed: ${escapeXml(observed)}</p>` : '') +
    `${body}</section>`
  );
}

const style = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px;color:#111;background:#fff;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 4px;border-top:1px solid #ccc;padding-top:14px}h3{font-size:14px;margin:0 0 6px}
.subtitle,.about,.note{color:#444}.note{font-size:12px}.observed{margin:4px 0 10px}
.run{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}figure{margin:0;flex:1 1 760px;min-width:0}
svg.timeline{width:100%;height:auto;font-size:11px;font-family:inherit}
svg.timeline .grid{stroke:#ddd;stroke-width:1}svg.timeline .axis text{fill:#333}svg.timeline .axis-title{font-size:12px;fill:#111}
svg.timeline .fault-label{font-size:11px;fill:#111;font-weight:600}svg.timeline .note{font-size:11px;fill:#111}
aside{flex:0 1 330px;border:1px solid #bbb;border-radius:4px;padding:10px 12px;background:#fafafa}
ul.figures{margin:0;padding-left:18px}ul.figures li{margin:2px 0}
ul.legend{list-style:none;display:flex;flex-wrap:wrap;gap:4px 18px;padding:0;margin:6px 0 0;font-size:12px}ul.legend li{display:flex;align-items:center;gap:6px}
.verdict{font-size:14px;padding:1px 8px;border-radius:3px;border:2px solid;vertical-align:2px}
.verdict-pass{color:#005a3c;border-color:#009E73}.verdict-fail{color:#8a2b00;border-color:#D55E00;border-style:double;border-width:4px}.verdict-skipped,.verdict-n-a{color:#444;border-color:#999;border-style:dashed}
table.overview{border-collapse:collapse;font-size:13px}table.overview th,table.overview td{border:1px solid #bbb;padding:3px 8px;text-align:left}table.overview a{text-decoration:none}
nav ul{columns:2}`;

/** A table of runs (a matrix's): a row each, a column each, every cell its text, linked to its run's section when it has one. */
export function overviewTableHtml(rows: readonly string[], columns: readonly string[], cell: (row: string, column: string) => { text: string; section?: string }): string {
  const head = `<tr><th></th>${columns.map((column) => `<th>${escapeXml(column)}</th>`).join('')}</tr>`;
  const body = rows.map((row) => {
    const cells = columns.map((column) => {
      const { text, section } = cell(row, column);
      const shown = escapeXml(verdictMark[text] ?? text);
      return `<td>${section ? `<a href="#${section}">${shown}</a>` : shown}</td>`;
    });
    return `<tr><th>${escapeXml(row)}</th>${cells.join('')}</tr>`;
  });
  return `<table class="overview">${head}${body.join('')}</table>`;
}

/** The whole page: every section, a table of contents (or the overview given), styles inline. */
export function runPageHtml(page: RunPage): string {
  const contents =
    page.overview ??
    (page.sections.length > 1
      ? `<nav><ul>${page.sections.map((section) => `<li><a href="#${section.id}">${escapeXml(section.heading ?? section.scenario)}</a>${section.verdict ? ` ${escapeXml(verdictMark[section.verdict] ?? section.verdict)}` : ''}</li>`).join('')}</ul></nav>`
      : '');
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeXml(page.title)}</title><style>${style}</style></head><body>${sharedDefinitions()}` +
    `<h1>${escapeXml(page.title)}</h1><p class="subtitle">${escapeXml(page.subtitle)}</p>${contents}` +
    `${page.sections.map(sectionHtml).join('\n')}</body></html>\n`
  );
}
