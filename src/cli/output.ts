/** What the demo may use of the command line: colours, the consumer's summary, the shared formatting and the probes' words. */
export { chalkFor, colorLevel } from './stream.js';
export { summaryLines } from './summary-lines.js';
export { counted, formatDuration, formatRange, formatSeconds, formatValues } from './format.js';
export { connectWords, probeFinding, probeName } from './probe-findings.js';
export { faultText, figureLines, judgementObserved, lostFinding, streamValuesText, verdictLines } from './history-lines.js';
export { overviewTableHtml, runPageHtml, sectionId, type RunSection } from './run-page.js';
export { writePage } from './history-page.js';
