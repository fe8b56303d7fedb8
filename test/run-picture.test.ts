/** The picture of a run, a pure function of its history: the fault windows, the bins, the lost values; and the page drawn from it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkHistory } from '../src/core/checkers.js';
import type { Operation } from '../src/core/history.js';
import { binWidth, faultWindows, maxBins, rateSpans, runPicture } from '../src/core/run-picture.js';
import { runPageHtml, sectionId } from '../src/cli/run-page.js';
import { faultLabel } from '../src/cli/run-timeline.js';

const scenario = 'kill-consumer-node';

const at = {
  sent: (time: number, value: number): Operation => ({ scenario, process: 'producer-1', time, f: 'publish', type: 'invoke', stream: 't', value }),
  acked: (time: number, value: number): Operation => ({ scenario, process: 'producer-1', time, f: 'publish', type: 'ok', stream: 't', value }),
  delivered: (time: number, value: number, node = 1): Operation => ({ scenario, process: 'consumer-1', time, f: 'deliver', type: 'ok', stream: 't', value, session: 'c', node }),
  connected: (time: number, node: number, present: boolean): Operation => ({ scenario, process: 'consumer-1', time, f: 'connect', type: 'ok', role: 'consumer', session: 'c', node, sessionPresent: present }),
  /** A fault of any kind, known to the schema or not (the page draws what a newer nemesis records). */
  fault: (time: number, type: 'invoke' | 'ok' | 'fail', kind: string, node: number | null, target?: string): Operation =>
    ({ scenario, process: 'nemesis', time, f: 'fault', type, kind, node, ...(target ? { target } : {}) }) as unknown as Operation,
};

/** Values 1..count sent and acknowledged every `every` ms from `from`; delivered alongside except those in `lost`. */
function steady(count: number, every: number, options: { from?: number; lost?: (value: number) => boolean; deliveredAfter?: (value: number) => number } = {}): Operation[] {
  const ops: Operation[] = [];
  for (let value = 1; value <= count; value++) {
    const time = (options.from ?? 0) + value * every;
    ops.push(at.sent(time, value), at.acked(time + 1, value));
    if (!options.lost?.(value)) ops.push(at.delivered(options.deliveredAfter?.(value) ?? time + 2, value));
  }
  return ops;
}

const ordered = (ops: Operation[]): Operation[] => [...ops].sort((a, b) => a.time - b.time);

describe('the fault windows of a run', () => {
  it('a kill lasts until the start that undoes it has finished, a pause until its resume', () => {
    const windows = faultWindows(
      [
        at.fault(1000, 'invoke', 'kill', 2),
        at.fault(1010, 'ok', 'kill', 2),
        at.fault(3000, 'invoke', 'pause', 1),
        at.fault(3001, 'ok', 'pause', 1),
        at.fault(5000, 'invoke', 'start', 2),
        at.fault(6500, 'ok', 'start', 2),
        at.fault(7000, 'invoke', 'resume', 1),
        at.fault(7002, 'ok', 'resume', 1),
      ],
      9000,
    );
    assert.deepEqual(windows, [
      { kind: 'kill', node: 2, target: null, from: 1000, to: 6500, undoneBy: 'start', open: false, failed: false },
      { kind: 'pause', node: 1, target: null, from: 3000, to: 7002, undoneBy: 'resume', open: false, failed: false },
    ]);
  });

  it('an isolation lasts until the heal; the heal that starts a scenario, with nothing to undo, draws nothing', () => {
    const windows = faultWindows(
      [at.fault(0, 'invoke', 'heal', null), at.fault(400, 'ok', 'heal', null), at.fault(1000, 'invoke', 'isolate', 3), at.fault(1005, 'ok', 'isolate', 3), at.fault(4000, 'invoke', 'heal', null), at.fault(4800, 'ok', 'heal', null)],
      6000,
    );
    assert.deepEqual(windows, [{ kind: 'isolate', node: 3, target: null, from: 1000, to: 4800, undoneBy: 'heal', open: false, failed: false }]);
  });

  it("a client's link cut lasts until it is restored, and is labelled with the client", () => {
    const history = [at.fault(1000, 'invoke', 'cut', null, 'consumer-1'), at.fault(1001, 'ok', 'cut', null, 'consumer-1'), at.fault(2500, 'invoke', 'restore', null, 'consumer-1'), at.fault(2502, 'ok', 'restore', null, 'consumer-1')];
    const windows = faultWindows(history, 5000);
    assert.deepEqual(windows, [{ kind: 'cut', node: null, target: 'consumer-1', from: 1000, to: 2502, undoneBy: 'restore', open: false, failed: false }]);
    assert.equal(faultLabel('cut', null, 'consumer-1'), 'cut consumer-1');
    assert.equal(faultLabel('kill', 2, null), 'kill node 2');
    assert.equal(faultLabel('restart-all', null), 'restart-all');
  });

  it("a disconnection lasts until its node's links are healed; the heal of one node's links leaves another node's cut and a pause in force", () => {
    const windows = faultWindows(
      [
        at.fault(1000, 'invoke', 'disconnect', 2),
        at.fault(1004, 'ok', 'disconnect', 2),
        at.fault(1500, 'invoke', 'isolate', 3),
        at.fault(1503, 'ok', 'isolate', 3),
        at.fault(1800, 'invoke', 'pause', 1),
        at.fault(1801, 'ok', 'pause', 1),
        at.fault(3000, 'invoke', 'heal', 2),
        at.fault(3006, 'ok', 'heal', 2),
      ],
      5000,
    );
    assert.deepEqual(windows, [
      { kind: 'disconnect', node: 2, target: null, from: 1000, to: 3006, undoneBy: 'heal', open: false, failed: false },
      { kind: 'isolate', node: 3, target: null, from: 1500, to: 5000, undoneBy: null, open: true, failed: false },
      { kind: 'pause', node: 1, target: null, from: 1800, to: 5000, undoneBy: null, open: true, failed: false },
    ]);
  });

  it('a kill never undone lasts to the end of the run; a kind not known here lasts its own operation, by its name; a failed fault ends where it failed; an unfinished undo where it began', () => {
    const windows = faultWindows(
      [
        at.fault(500, 'invoke', 'clock-skew', 1),
        at.fault(2500, 'ok', 'clock-skew', 1),
        at.fault(3000, 'invoke', 'kill', 1),
        at.fault(3005, 'ok', 'kill', 1),
        at.fault(4000, 'invoke', 'pause', 2),
        at.fault(4100, 'fail', 'pause', 2),
        at.fault(5000, 'invoke', 'restart-all', null),
        at.fault(9000, 'ok', 'restart-all', null),
        at.fault(10_000, 'invoke', 'pause', 3),
        at.fault(10_001, 'ok', 'pause', 3),
        at.fault(11_000, 'invoke', 'resume', 3),
      ],
      12_000,
    );
    assert.deepEqual(windows, [
      { kind: 'clock-skew', node: 1, target: null, from: 500, to: 2500, undoneBy: null, open: false, failed: false },
      { kind: 'kill', node: 1, target: null, from: 3000, to: 12_000, undoneBy: null, open: true, failed: false },
      { kind: 'pause', node: 2, target: null, from: 4000, to: 4100, undoneBy: null, open: false, failed: true },
      { kind: 'restart-all', node: null, target: null, from: 5000, to: 9000, undoneBy: null, open: false, failed: false },
      // The resume began and the run ended before it was done: the pause ends where the resume began.
      { kind: 'pause', node: 3, target: null, from: 10_000, to: 11_000, undoneBy: 'resume', open: false, failed: false },
    ]);
  });
});

describe('the picture of a run', () => {
  it('bins are 1, 2 or 5 times a power of ten ms, and never more than maxBins', () => {
    assert.equal(binWidth(1000), 5);
    assert.equal(binWidth(24_000), 100);
    assert.equal(binWidth(36_100), 200);
    assert.equal(binWidth(0), 1);
    for (const duration of [1, 999, 12_345, 3_600_000]) assert.ok(Math.ceil((duration + 1) / binWidth(duration)) <= maxBins + 1, `${duration} ms`);
  });

  it('counts every value in its bin, marks the lost ones where they were sent, and takes the longest gap and the failover from the checkers', () => {
    // 100 values a 100 ms; node 1 killed at 4.05 s; 41..45 never delivered; the rest after it through node 2 from 6 s.
    const history = ordered([
      at.connected(0, 1, false),
      ...steady(100, 100, { lost: (v) => v >= 41 && v <= 45, deliveredAfter: (v) => (v <= 40 ? v * 100 + 2 : Math.max(6000, v * 100 + 2)) }),
      at.fault(4050, 'invoke', 'kill', 1),
      at.fault(4060, 'ok', 'kill', 1),
    ]).map((op) => (op.f === 'deliver' && op.time >= 6000 ? { ...op, node: 2 } : op));
    const figures = checkHistory(history);
    const picture = runPicture(history, figures, { kind: 'kill', node: 1, measure: 'other-node', ms: 1950 });
    assert.equal(picture.durationMs, 10_002);
    assert.equal(picture.binMs, 50);
    const total = (kind: 'sent' | 'acknowledged' | 'delivered'): number => picture.bins.reduce((sum, bin) => sum + bin.values[kind].count, 0);
    assert.deepEqual([total('sent'), total('acknowledged'), total('delivered')], [100, 100, 95]);
    assert.deepEqual(picture.values, { low: 1, high: 100 });
    // 46..60 came all at once at 6 s: one bin holds them, from its lowest to its highest.
    assert.deepEqual(picture.bins[120]!.values.delivered, { count: 15, low: 46, high: 60 });
    assert.deepEqual(
      picture.lost.map((mark) => [mark.low, mark.high, mark.from]),
      [[41, 41, 4100], [42, 42, 4200], [43, 43, 4300], [44, 44, 4400], [45, 45, 4500]],
    );
    assert.deepEqual(picture.longestWithoutDelivery, { from: 4002, to: 6000, ms: 1998 });
    assert.deepEqual(picture.failovers, [{ kind: 'kill', node: 1, target: null, at: 4050, recoveredAt: 6000, measure: 'other-node' }]);
    assert.deepEqual(picture.faults.map((window) => [window.kind, window.from, window.to, window.open]), [['kill', 4050, 10_002, true]]);
  });

  it('100,000 values make a page of a bounded size, the lost ones as one mark a bin', () => {
    const history = ordered([at.connected(0, 1, false), ...steady(100_000, 2, { lost: (v) => v > 50_000 && v <= 50_500 }), at.fault(100_000, 'invoke', 'kill', 1), at.fault(100_010, 'ok', 'kill', 1)]);
    const picture = runPicture(history, checkHistory(history));
    assert.ok(picture.bins.length <= maxBins + 1, `${picture.bins.length} bins`);
    assert.equal(
      picture.lost.reduce((sum, mark) => sum + mark.count, 0),
      500,
    );
    assert.ok(picture.lost.length <= 2, `${picture.lost.length} lost marks`);
    const html = runPageHtml({ title: 'run', subtitle: '', sections: [{ id: 'run', scenario: 'random', verdict: null, observed: null, operations: history }] });
    assert.ok(html.length < 120_000, `${html.length} characters`);
    assert.match(html, /<g class="lost" data-lost="500">/);
  });
});

describe('the page', () => {
  it('is one file with nothing from elsewhere: no script, no link, no URL but its own anchors', () => {
    const history = ordered([at.connected(0, 1, false), ...steady(20, 100), at.fault(700, 'invoke', 'clock-skew', 2), at.fault(900, 'ok', 'clock-skew', 2)]);
    const html = runPageHtml({ title: 'A <run>', subtitle: 'one', sections: [{ id: sectionId('kill consumer/node'), scenario, verdict: 'PASS', observed: 'all there', operations: history }] });
    assert.doesNotMatch(html, /<script|<link|@import|url\((?!#)|src=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    assert.match(html, /<title>A &#60;run&#62;<\/title>/);
    assert.match(html, /<section id="kill-consumer-node" data-verdict="PASS">/);
    // The fault this program does not know is drawn and labelled by its name.
    assert.match(html, /<g class="fault" data-fault="clock-skew" data-node="2" data-from-ms="700" data-to-ms="900">/);
    assert.match(html, />clock-skew node 2<\/text>/);
    assert.match(html, /another fault, labelled by its name/);
  });
});

describe('the rate of a run', () => {
  it('is read over spans of whole bins, at most 60, covering the run', () => {
    const history = ordered([...steady(100, 100)]);
    const picture = runPicture(history, checkHistory(history));
    const spans = rateSpans(picture);
    assert.ok(spans.length <= 60, `${spans.length} spans`);
    assert.equal(spans[0]!.from, 0);
    assert.ok(spans.at(-1)!.to >= picture.durationMs && spans.at(-1)!.from < picture.durationMs);
    // One value a 100 ms is 10 a second in every whole span after the first value.
    assert.deepEqual(new Set(spans.slice(1, -1).map((span) => Math.round(span.perSecond.sent))), new Set([10]));
    assert.equal(spans.reduce((sum, span) => sum + span.perSecond.delivered * ((span.to - span.from) / 1000), 0).toFixed(6), (100).toFixed(6));
  });
});
