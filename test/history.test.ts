/** The history of a fault test: its operations written as JSON lines, read back and checked line by line; a producer's and a consumer's events made into operations. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandOperations, mergeHistories, type TimedEvent } from '../src/core/command-history.js';
import { historyLines, parseHistory, scenariosOf, type Operation } from '../src/core/history.js';

const scenario = 'kill-consumer-node';

const sample: Operation[] = [
  { scenario, process: 'nemesis', time: 0, f: 'fault', type: 'invoke', kind: 'heal', node: null },
  { scenario, process: 'consumer-1', time: 5, f: 'connect', type: 'ok', role: 'consumer', session: 'c', node: 1, sessionPresent: false },
  { scenario, process: 'producer-1', time: 10, f: 'publish', type: 'invoke', stream: 't', value: 1 },
  { scenario, process: 'producer-1', time: 12, f: 'publish', type: 'ok', stream: 't', value: 1 },
  { scenario, process: 'consumer-1', time: 13, f: 'deliver', type: 'ok', stream: 't', value: 1, session: 'c', node: 1 },
  { scenario: 'random', process: 'nemesis', time: 20.5, f: 'fault', type: 'invoke', kind: 'kill', node: 2, planned: 20 },
  { scenario: 'keepalive', process: 'nemesis', time: 30, f: 'fault', type: 'ok', kind: 'stall', node: null, target: 'consumer-1' },
];

describe('a history as JSON lines', () => {
  it('reads back exactly what was written, one operation a line', () => {
    const text = historyLines(sample);
    assert.equal(text.split('\n').length, sample.length + 1, 'one line each, and a last newline');
    assert.deepEqual(parseHistory(text), { operations: sample });
  });

  it('skips blank lines and counts them in the line numbers', () => {
    const text = `\n${historyLines(sample.slice(0, 1))}\n\n{"f":"deliver"}\n`;
    assert.deepEqual(parseHistory(text), { error: { line: 5, reason: parseError('{"f":"deliver"}') } });
  });

  it('names the first bad line and why: not JSON, an unknown function, a field missing, a negative time, a field too many', () => {
    const good = JSON.stringify(sample[2]);
    const cases: Array<[string, RegExp]> = [
      ['{"scenario":', /^not JSON$/],
      [JSON.stringify({ ...sample[2], f: 'read' }), /^f: /],
      [JSON.stringify({ ...sample[2], value: undefined }), /^value: /],
      [JSON.stringify({ ...sample[2], time: -1 }), /^time: /],
      [JSON.stringify({ ...sample[2], value: 1.5 }), /^value: /],
      [JSON.stringify({ ...sample[4], node: 0 }), /^node: /],
      [JSON.stringify({ ...sample[2], colour: 'red' }), /colour/],
      [JSON.stringify({ ...sample[0], kind: 'meteor' }), /^kind: /],
      [JSON.stringify({ ...sample[1], role: undefined }), /^role: /],
      ['[]', /./],
    ];
    for (const [bad, reason] of cases) {
      const result = parseHistory(`${good}\n${good}\n${bad}\n${good}\n`);
      assert.ok('error' in result, `${bad} is refused`);
      assert.equal(result.error.line, 3, bad);
      assert.match(result.error.reason, reason, bad);
    }
  });

  it('an empty file is an empty history', () => {
    assert.deepEqual(parseHistory(''), { operations: [] });
  });

  it('splits a demo run into its scenarios, in the order they first appear', () => {
    assert.deepEqual(
      scenariosOf(sample).map(({ scenario: name, operations }) => [name, operations.length]),
      [
        [scenario, 5],
        ['random', 1],
        ['keepalive', 1],
      ],
    );
  });
});

function parseError(line: string): string {
  const result = parseHistory(line);
  assert.ok('error' in result);
  return result.error.reason;
}

const nodeAt = (url: string): number | null => ({ 'mqtt://127.0.0.1:1001': 1, 'mqtt://127.0.0.1:1002': 2 })[url] ?? null;

describe("a command's events as operations", () => {
  it("a producer's value: invoke when sent, ok when acknowledged, info when it ended with the value unanswered; sent again is another invoke", () => {
    const events: TimedEvent[] = [
      { at: 1, event: { event: 'connected', url: 'mqtt://127.0.0.1:1001', node: 1, nodes: 2, clientId: 'p', sessionPresent: false, receiveMaximum: null, previousClosedSilently: false } },
      { at: 2, event: { event: 'sent', topic: 't', value: 1, again: false } },
      { at: 3, event: { event: 'sent', topic: 't', value: 2, again: false } },
      { at: 4, event: { event: 'acknowledged', topic: 't', value: 1 } },
      { at: 5, event: { event: 'offline', url: 'mqtt://127.0.0.1:1001', reason: { code: 'keepalive-timeout', keepalive: 2 } } },
      { at: 6, event: { event: 'connected', url: 'mqtt://127.0.0.1:1002', node: 2, nodes: 2, clientId: 'p', sessionPresent: false, receiveMaximum: null, previousClosedSilently: false } },
      { at: 7, event: { event: 'sent', topic: 't', value: 2, again: true } },
      { at: 8, event: { event: 'sent', topic: 't', value: 3, again: false } },
      { at: 9, event: { event: 'acknowledged', topic: 't', value: 2 } },
    ];
    const who = { scenario, process: 'producer-1', role: 'producer' as const, nodeAt };
    assert.deepEqual(commandOperations(events, who, 20), [
      { scenario, process: 'producer-1', time: 1, f: 'connect', type: 'ok', role: 'producer', session: 'p', node: 1, sessionPresent: false },
      { scenario, process: 'producer-1', time: 2, f: 'publish', type: 'invoke', stream: 't', value: 1 },
      { scenario, process: 'producer-1', time: 3, f: 'publish', type: 'invoke', stream: 't', value: 2 },
      { scenario, process: 'producer-1', time: 4, f: 'publish', type: 'ok', stream: 't', value: 1 },
      { scenario, process: 'producer-1', time: 5, f: 'connect', type: 'info', role: 'producer', session: 'p', node: 1, sessionPresent: null },
      { scenario, process: 'producer-1', time: 6, f: 'connect', type: 'ok', role: 'producer', session: 'p', node: 2, sessionPresent: false },
      { scenario, process: 'producer-1', time: 7, f: 'publish', type: 'invoke', stream: 't', value: 2 },
      { scenario, process: 'producer-1', time: 8, f: 'publish', type: 'invoke', stream: 't', value: 3 },
      { scenario, process: 'producer-1', time: 9, f: 'publish', type: 'ok', stream: 't', value: 2 },
      { scenario, process: 'producer-1', time: 20, f: 'publish', type: 'info', stream: 't', value: 3 },
    ]);
  });

  it("a value counted while the broker was away (kept) is invoked when kept, on the producer's topic; sent once the broker is back, it is invoked again; never acknowledged, its outcome is unknown", () => {
    const events: TimedEvent[] = [
      { at: 1, event: { event: 'sent', topic: 't', value: 1, again: false } },
      { at: 2, event: { event: 'acknowledged', topic: 't', value: 1 } },
      { at: 3, event: { event: 'kept', value: 2, pending: 1 } },
      { at: 4, event: { event: 'kept', value: 3, pending: 2 } },
      { at: 5, event: { event: 'sent', topic: 't', value: 2, again: false } },
      { at: 6, event: { event: 'acknowledged', topic: 't', value: 2 } },
    ];
    assert.deepEqual(commandOperations(events, { scenario, process: 'producer-1', role: 'producer', nodeAt }, 9).map((op) => [op.time, op.f, op.type, 'value' in op ? op.value : null, 'stream' in op ? op.stream : null]), [
      [1, 'publish', 'invoke', 1, 't'],
      [2, 'publish', 'ok', 1, 't'],
      [3, 'publish', 'invoke', 2, 't'],
      [4, 'publish', 'invoke', 3, 't'],
      [5, 'publish', 'invoke', 2, 't'],
      [6, 'publish', 'ok', 2, 't'],
      [9, 'publish', 'info', 3, 't'],
    ]);
  });

  it("a consumer's value: a delivery through the node and in the session of its connection; the retained copy is none", () => {
    const message = { event: 'message' as const, topic: 't', duplicate: false, outOfOrder: false, queued: false, retained: false, waitedMs: null, sentAt: null, qos: 1 as const, producerId: null, runId: null };
    const events: TimedEvent[] = [
      { at: 1, event: { event: 'connected', url: 'mqtt://127.0.0.1:1002', node: 2, nodes: 3, clientId: 'c', sessionPresent: true, receiveMaximum: null, previousClosedSilently: false } },
      { at: 2, event: { ...message, value: 7, retained: true } },
      { at: 3, event: { ...message, value: 8 } },
      { at: 4, event: { event: 'connected', url: 'mqtt://127.0.0.1:9999', node: 3, nodes: 3, clientId: 'c', sessionPresent: false, receiveMaximum: null, previousClosedSilently: false } },
      { at: 5, event: { ...message, value: 9 } },
    ];
    const ops = commandOperations(events, { scenario, process: 'consumer-1', role: 'consumer', nodeAt }, 6);
    assert.deepEqual(
      ops.filter((op) => op.f === 'deliver'),
      [
        { scenario, process: 'consumer-1', time: 3, f: 'deliver', type: 'ok', stream: 't', value: 8, session: 'c', node: 2 },
        { scenario, process: 'consumer-1', time: 5, f: 'deliver', type: 'ok', stream: 't', value: 9, session: 'c', node: null },
      ],
    );
    assert.deepEqual(ops.filter((op) => op.f === 'connect').map((op) => [op.time, op.node, op.sessionPresent]), [
      [1, 2, true],
      [4, null, false],
    ]);
  });

  it('histories merged on one time line keep the order of operations at the same time', () => {
    const a: Operation[] = [sample[0]!, { ...sample[2]!, time: 10 }];
    const b: Operation[] = [{ ...sample[1]!, time: 10 }, { ...sample[4]!, time: 3 }];
    assert.deepEqual(mergeHistories(a, b).map((op) => [op.process, op.time]), [
      ['nemesis', 0],
      ['consumer-1', 3],
      ['producer-1', 10],
      ['consumer-1', 10],
    ]);
  });
});
