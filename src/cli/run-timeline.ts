/**
 * The picture of a run as inline SVG: time across; above, the values sent, acknowledged and delivered
 * (the highest of each time bin, the delivered bins as bands from their lowest to their highest value)
 * with the lost values crossed where they were sent; below, how many values a second; the fault windows
 * shaded across both, hatched by kind and labelled; the failovers and the longest time without delivery
 * as arrows under them. Every series has its own dash and shape as well as its colour.
 */
import { scaleLinear, type ScaleLinear } from 'd3-scale';
import { area, curveStepAfter, line } from 'd3-shape';
import { faultKinds, type FaultKind } from '../core/history.js';
import type { FailoverMeasure } from '../core/fault-verdicts.js';
import { rateSpans, type RateSpan, type RunPicture, type SeriesKind, type TimeBin } from '../core/run-picture.js';
import { formatSeconds } from './format.js';
import { faultText } from './history-lines.js';

/** How each series is drawn: colour (Okabe and Ito's palette, safe for colour blindness), dash and marker shape. */
export const seriesStyle: Record<SeriesKind, { colour: string; dash: string; width: number; shape: 'circle' | 'square' | 'triangle' }> = {
  sent: { colour: '#0072B2', dash: '', width: 1.5, shape: 'circle' },
  acknowledged: { colour: '#E69F00', dash: '7 4', width: 2, shape: 'square' },
  delivered: { colour: '#009E73', dash: '2 3', width: 2.5, shape: 'triangle' },
};

export const lostColour = '#D55E00';
export const failoverColour = '#CC79A7';

/** The hatching of a fault window by kind; a kind not known here gets the last one. */
const hatchedKinds = ['kill', 'pause', 'isolate', 'disconnect', 'restart-all'];

export function hatchId(kind: string): string {
  return `hatch-${hatchedKinds.includes(kind) ? kind : 'other'}`;
}

const width = 960;
const left = 92;
const right = 20;
const lanes = { labels: 6, valuesTop: 48, valuesBottom: 246, rateTop: 276, rateBottom: 352, failover: 368, gap: 390, axis: 406, height: 448 };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const round = (n: number): string => (Math.round(n * 10) / 10).toString();

/** "kill node 2", "stall consumer-1", "restart-all", or a kind this program does not know, by its name. */
export function faultLabel(kind: string, node: number | null, target: string | null = null): string {
  if (node !== null) return `${kind} node ${node}`;
  return target === null ? kind : `${kind} ${target}`;
}

/** The fault in a sentence when it is known ("the kill of node 2 (SIGKILL)"), its name otherwise. */
function faultSentence(kind: string, node: number | null, target: string | null = null): string {
  return (faultKinds as readonly string[]).includes(kind) ? faultText(kind as FaultKind, node, target ?? undefined) : `the fault "${kind}"${node === null ? '' : ` on node ${node}`}`;
}

/** The shape of a series' marker, centred at x, y. */
export function markerShape(shape: 'circle' | 'square' | 'triangle' | 'cross', x: number, y: number, colour: string, size = 4): string {
  const at = `${round(x)},${round(y)}`;
  if (shape === 'circle') return `<circle cx="${round(x)}" cy="${round(y)}" r="${size}" fill="#fff" stroke="${colour}" stroke-width="1.5"/>`;
  if (shape === 'square') return `<rect x="${round(x - size)}" y="${round(y - size)}" width="${size * 2}" height="${size * 2}" fill="${colour}"/>`;
  if (shape === 'triangle') return `<path d="M${round(x)},${round(y - size - 1)}l${size + 1},${size * 2}h${-(size + 1) * 2}z" fill="${colour}" stroke="#fff" stroke-width="0.5"/>`;
  return `<path d="M${at}m${-size},${-size}l${size * 2},${size * 2}m0,${-size * 2}l${-size * 2},${size * 2}" stroke="${colour}" stroke-width="2.5" fill="none"/>`;
}

function axisTicks(scale: ScaleLinear<number, number>, count: number, place: (at: number, label: string) => string): string {
  const format = scale.tickFormat(count);
  return scale
    .ticks(count)
    .map((tick) => place(scale(tick), format(tick)))
    .join('');
}

function seriesPaths(picture: RunPicture, spans: RateSpan[], kind: SeriesKind, x: (time: number) => number, value: ScaleLinear<number, number>, rate: ScaleLinear<number, number>): string {
  const style = seriesStyle[kind];
  const stroke = `fill="none" stroke="${style.colour}" stroke-width="${style.width}"${style.dash ? ` stroke-dasharray="${style.dash}"` : ''}`;
  const middle = (bin: TimeBin): number => x((bin.from + bin.to) / 2);
  // The highest value so far, held until a higher one comes: a plateau is a time when nothing new came.
  let highestSoFar: number | null = null;
  const soFar = picture.bins.flatMap((bin) => {
    const high = bin.values[kind].high;
    if (high === null) return [];
    highestSoFar = Math.max(highestSoFar ?? high, high);
    return [{ at: middle(bin), high: highestSoFar }];
  });
  const highest = line<{ at: number; high: number }>()
    .curve(curveStepAfter)
    .x((point) => point.at)
    .y((point) => value(point.high))
    .digits(1)(soFar);
  const rateSteps = line<{ at: number; rate: number }>()
    .curve(curveStepAfter)
    .x((point) => x(point.at))
    .y((point) => rate(point.rate))
    .digits(1)([...spans.map((span) => ({ at: span.from, rate: span.perSecond[kind] })), { at: spans.at(-1)!.to, rate: spans.at(-1)!.perSecond[kind] }]);
  const band =
    kind === 'delivered'
      ? `<path class="band" d="${area<TimeBin>()
          .defined((bin) => bin.values[kind].count > 1)
          .x(middle)
          .y0((bin) => value(bin.values[kind].low ?? 0))
          .y1((bin) => value(bin.values[kind].high ?? 0))
          .digits(1)(picture.bins) ?? ''}" fill="${style.colour}" fill-opacity="0.18"/>`
      : '';
  // A few markers on each line, where a bin has values, so the series is known without its colour.
  const step = Math.max(1, Math.ceil(soFar.length / 8));
  const offset = seriesKindsOrder.indexOf(kind);
  const markers = soFar
    .filter((_, i) => i % step === Math.min(offset, step - 1))
    .map((point) => markerShape(style.shape, point.at, value(point.high), style.colour))
    .join('');
  return `<g class="series" data-series="${kind}">${band}<path class="values" d="${highest ?? ''}" ${stroke}/><path class="rate" d="${rateSteps ?? ''}" ${stroke}/>${markers}</g>`;
}

const seriesKindsOrder: SeriesKind[] = ['sent', 'acknowledged', 'delivered'];

const measureWords: Record<FailoverMeasure, string> = { 'first-delivery': '', 'other-node': ' (through another node)', 'published-after': ' (a value sent after it)' };

/** A note right of after, or, when it would run off the picture, ending left of before (about 6 px a character). */
function note(after: number, before: number, y: number, text: string): string {
  const fits = after + text.length * 6 <= width - right;
  return `<text x="${round(fits ? after : before)}" y="${y}" class="note"${fits ? '' : ' text-anchor="end"'}>${escapeXml(text)}</text>`;
}

/** The SVG of one run; label: what it is, for a screen reader. */
export function timelineSvg(picture: RunPicture, label: string): string {
  const endSeconds = Math.max(picture.durationMs, 1) / 1000;
  const time = scaleLinear().domain([0, endSeconds]).range([left, width - right]);
  const x = (ms: number): number => time(ms / 1000);
  const range = picture.values ?? { low: 0, high: 1 };
  const value = scaleLinear()
    .domain(range.low === range.high ? [range.low - 1, range.high + 1] : [range.low, range.high])
    .nice()
    .range([lanes.valuesBottom, lanes.valuesTop]);
  const spans = rateSpans(picture);
  const highestRate = Math.max(1, ...spans.flatMap((span) => seriesKindsOrder.map((kind) => span.perSecond[kind])));
  const rate = scaleLinear().domain([0, highestRate]).nice().range([lanes.rateBottom, lanes.rateTop]);
  const parts: string[] = [];

  parts.push(
    ...picture.faults.map((fault, i) => {
      const x0 = x(fault.from);
      const w = Math.max(2, x(fault.to) - x0);
      const until = fault.open ? ' (not undone)' : fault.undoneBy ? ` → ${fault.undoneBy}` : '';
      const text = `${faultLabel(fault.kind, fault.node, fault.target)}${until}${fault.failed ? ' (failed)' : ''}`;
      const title = `${faultSentence(fault.kind, fault.node, fault.target)}, ${formatSeconds(fault.from)} to ${formatSeconds(fault.to)}${fault.open ? ', not undone by the end' : fault.undoneBy ? `, until the ${fault.undoneBy} was done` : ''}`;
      const labelY = lanes.labels + 12 + (i % 2) * 16;
      return (
        `<g class="fault" data-fault="${escapeXml(fault.kind)}" data-node="${fault.node ?? ''}" data-from-ms="${fault.from}" data-to-ms="${fault.to}"><title>${escapeXml(title)}</title>` +
        `<rect x="${round(x0)}" y="${lanes.valuesTop}" width="${round(w)}" height="${lanes.rateBottom - lanes.valuesTop}" fill="#000" fill-opacity="0.07"/>` +
        `<rect x="${round(x0)}" y="${lanes.valuesTop}" width="${round(w)}" height="${lanes.rateBottom - lanes.valuesTop}" fill="url(#${hatchId(fault.kind)})" stroke="#444" stroke-dasharray="3 2"/>` +
        `<line x1="${round(x0)}" x2="${round(x0)}" y1="${labelY + 3}" y2="${lanes.valuesTop}" stroke="#444"/>` +
        `<text x="${round(Math.min(x0 + 3, width - right - text.length * 6.5))}" y="${labelY}" class="fault-label">${escapeXml(text)}</text></g>`
      );
    }),
  );

  // Axes: time across the bottom, values and values a second on the left, each with its unit.
  parts.push(
    `<g class="axis">${axisTicks(time, 10, (at, text) => `<line x1="${round(at)}" x2="${round(at)}" y1="${lanes.valuesTop}" y2="${lanes.axis}" class="grid"/><text x="${round(at)}" y="${lanes.axis + 14}" text-anchor="middle">${text}</text>`)}` +
      `<text x="${(left + width - right) / 2}" y="${lanes.axis + 34}" text-anchor="middle" class="axis-title">time since the run's start (s)</text>` +
      axisTicks(value, 6, (at, text) => `<line x1="${left - 4}" x2="${width - right}" y1="${round(at)}" y2="${round(at)}" class="grid"/><text x="${left - 6}" y="${round(at + 4)}" text-anchor="end">${text}</text>`) +
      axisTicks(rate, 3, (at, text) => `<line x1="${left - 4}" x2="${width - right}" y1="${round(at)}" y2="${round(at)}" class="grid"/><text x="${left - 6}" y="${round(at + 4)}" text-anchor="end">${text}</text>`) +
      `<text transform="translate(14 ${(lanes.valuesTop + lanes.valuesBottom) / 2}) rotate(-90)" text-anchor="middle" class="axis-title">value (sequence number)</text>` +
      `<text transform="translate(14 ${(lanes.rateTop + lanes.rateBottom) / 2}) rotate(-90)" text-anchor="middle" class="axis-title">values/s</text>` +
      `<text x="${left - 6}" y="${lanes.failover + 4}" text-anchor="end">failover</text><text x="${left - 6}" y="${lanes.gap + 4}" text-anchor="end">no delivery</text>` +
      `<line x1="${left}" x2="${width - right}" y1="${lanes.axis}" y2="${lanes.axis}" stroke="#333"/></g>`,
  );

  parts.push(...seriesKindsOrder.map((kind) => seriesPaths(picture, spans, kind, x, value, rate)));

  parts.push(
    `<g class="lost" data-lost="${picture.lost.reduce((sum, mark) => sum + mark.count, 0)}">` +
      picture.lost
        .map((mark) => {
          const at = x((mark.from + mark.to) / 2);
          const title = `${mark.count} acknowledged value${mark.count === 1 ? '' : 's'} lost (${mark.low === mark.high ? mark.low : `${mark.low} to ${mark.high}`}), sent at ${formatSeconds(mark.from)}${mark.to > mark.from ? ` to ${formatSeconds(mark.to)}` : ''}`;
          const span = mark.high > mark.low ? `<line x1="${round(at)}" x2="${round(at)}" y1="${round(value(mark.low))}" y2="${round(value(mark.high))}" stroke="${lostColour}" stroke-width="3"/>` : '';
          return `<g class="lost-mark" data-count="${mark.count}" data-low="${mark.low}" data-high="${mark.high}"><title>${escapeXml(title)}</title>${span}${markerShape('cross', at, value(mark.low), lostColour, 5)}${mark.high > mark.low ? markerShape('cross', at, value(mark.high), lostColour, 5) : ''}</g>`;
        })
        .join('') +
      '</g>',
  );

  parts.push(
    ...picture.failovers.map((failover, i) => {
      const y = lanes.failover + (i % 2) * 4 - 2;
      const x0 = x(failover.at);
      if (failover.recoveredAt === null) {
        return `<g class="failover" data-at-ms="${failover.at}"><title>no value came after ${escapeXml(faultSentence(failover.kind, failover.node, failover.target))}</title><line x1="${round(x0)}" x2="${width - right}" y1="${y}" y2="${y}" stroke="${failoverColour}" stroke-width="2" stroke-dasharray="1 3"/>${note(x0 + 4, x0 - 4, y + 4, 'no value after it')}</g>`;
      }
      const ms = failover.recoveredAt - failover.at;
      const text = `failover ${formatSeconds(ms)}${measureWords[failover.measure]}`;
      return (
        `<g class="failover" data-at-ms="${failover.at}" data-ms="${ms}"><title>${escapeXml(`${formatSeconds(ms)} from ${faultSentence(failover.kind, failover.node, failover.target)} to the first value after it`)}</title>` +
        `<line x1="${round(x0)}" x2="${round(Math.max(x0 + 1, x(failover.recoveredAt)))}" y1="${y}" y2="${y}" stroke="${failoverColour}" stroke-width="2.5" marker-end="url(#arrow-failover)"/>` +
        `${markerShape('circle', x0, y, failoverColour, 3)}${note(x(failover.recoveredAt) + 8, x0 - 8, y + 4, text)}</g>`
      );
    }),
  );

  const gap = picture.longestWithoutDelivery;
  if (gap) {
    const [x0, x1] = [x(gap.from), x(gap.to)];
    parts.push(
      `<g class="longest-gap" data-ms="${gap.ms}" data-from-ms="${gap.from}" data-to-ms="${gap.to}"><title>${escapeXml(`the longest time without delivery: ${formatSeconds(gap.ms)}, from ${formatSeconds(gap.from)} to ${formatSeconds(gap.to)}`)}</title>` +
        `<line x1="${round(x0)}" x2="${round(x0)}" y1="${lanes.rateTop}" y2="${lanes.gap + 6}" stroke="#000" stroke-dasharray="2 2"/><line x1="${round(x1)}" x2="${round(x1)}" y1="${lanes.rateTop}" y2="${lanes.gap + 6}" stroke="#000" stroke-dasharray="2 2"/>` +
        `<line x1="${round(x0)}" x2="${round(Math.max(x1, x0 + 1))}" y1="${lanes.gap}" y2="${lanes.gap}" stroke="#000" stroke-width="1.5" marker-start="url(#arrow-gap-start)" marker-end="url(#arrow-gap)"/>` +
        `${note(x1 + 8, x0 - 8, lanes.gap + 4, `longest without delivery ${formatSeconds(gap.ms)}`)}</g>`,
    );
  }

  return `<svg class="timeline" viewBox="0 0 ${width} ${lanes.height}" role="img" aria-label="${escapeXml(label)}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}

/** The patterns and arrowheads every timeline of a page refers to, defined once. */
export function sharedDefinitions(): string {
  const hatch = (id: string, body: string, size = 8): string => `<pattern id="${id}" width="${size}" height="${size}" patternUnits="userSpaceOnUse">${body}</pattern>`;
  const arrow = (id: string, colour: string, reverse = false): string =>
    `<marker id="${id}" viewBox="0 0 10 10" refX="${reverse ? 1 : 9}" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="${reverse ? 'M10,0L0,5L10,10z' : 'M0,0L10,5L0,10z'}" fill="${colour}"/></marker>`;
  return (
    '<svg width="0" height="0" style="position:absolute" aria-hidden="true" xmlns="http://www.w3.org/2000/svg"><defs>' +
    hatch('hatch-kill', '<path d="M-2,2l4,-4M0,8l8,-8M6,10l4,-4" stroke="#555" stroke-width="1.3"/>') +
    hatch('hatch-pause', '<circle cx="4" cy="4" r="1.4" fill="#555"/>', 8) +
    hatch('hatch-isolate', '<path d="M0,4h8" stroke="#555" stroke-width="1.3"/>') +
    hatch('hatch-disconnect', '<path d="M0,2h8M0,6h8" stroke="#555" stroke-width="1.1"/>') +
    hatch('hatch-restart-all', '<path d="M0,0l8,8M8,0l-8,8" stroke="#555" stroke-width="1"/>') +
    hatch('hatch-other', '<path d="M4,0v8" stroke="#555" stroke-width="1.3"/>') +
    arrow('arrow-failover', failoverColour) +
    arrow('arrow-gap', '#000') +
    arrow('arrow-gap-start', '#000', true) +
    '</defs></svg>'
  );
}
