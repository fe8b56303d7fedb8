/** Reading a value and its producer from a stream this project did not produce: JSON fields and MQTT 5 user properties. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../src/core/errors.js';
import { SequenceTracker } from '../src/core/tracker.js';
import { countUnreadable, noUnreadable, nothingVerifiedEvent, sumUnreadable } from '../src/core/unreadable.js';
import { fieldLocation, followPath, propertyLocation, readMessageValue, type ValueSource } from '../src/core/value-source.js';

const seqAndDevice: ValueSource = { value: fieldLocation('seq', '--value-field'), producer: fieldLocation('device', '--producer-field') };

describe('a dot path into a JSON payload', () => {
  it('follows object keys and array indices', () => {
    const document = { a: { b: [{ c: 7 }, { c: 8 }] }, 'x-y': 1 };
    assert.equal(followPath(document, ['a', 'b', '1', 'c']), 8);
    assert.equal(followPath(document, ['x-y']), 1);
    assert.deepEqual(followPath(document, ['a']), { b: [{ c: 7 }, { c: 8 }] });
  });

  it('leads nowhere past a missing key, an index out of range, a name on an array, a scalar, or an inherited key', () => {
    const document = { a: { b: [5] }, n: 3 };
    assert.equal(followPath(document, ['a', 'c']), undefined);
    assert.equal(followPath(document, ['a', 'b', '1']), undefined);
    assert.equal(followPath(document, ['a', 'b', 'length']), undefined);
    assert.equal(followPath(document, ['a', 'b', '01']), undefined);
    assert.equal(followPath(document, ['n', 'x']), undefined);
    assert.equal(followPath(document, ['toString']), undefined);
    assert.equal(followPath(null, ['a']), undefined);
  });

  it('an empty step is refused as a usage error naming the option', () => {
    for (const path of ['', '.seq', 'seq.', 'a..b']) {
      assert.throws(() => fieldLocation(path, '--value-field'), (error: unknown) => error instanceof UsageError && error.message.includes('--value-field'), path);
    }
    assert.deepEqual(fieldLocation('reading.seq', '--value-field'), { source: 'field', name: 'reading.seq', steps: ['reading', 'seq'] });
    assert.throws(() => propertyLocation('', '--value-property'), UsageError);
  });
});

describe('reading a value and its producer', () => {
  it("without a source, the producer's own payload: a bare number or id:number", () => {
    assert.deepEqual(readMessageValue({}, '42', undefined), { value: 42 });
    assert.deepEqual(readMessageValue({}, 'sensor-1:7', undefined), { value: 7, producerId: 'sensor-1' });
    assert.equal((readMessageValue({}, '{"seq": 1}', undefined) as { error: { reason: string } }).error.reason, 'not-a-value');
  });

  it('reads the value and the producer from JSON fields, a numeric device as text', () => {
    assert.deepEqual(readMessageValue(seqAndDevice, '{"seq": 17, "device": "d1", "temp": 21.5}', undefined), { value: 17, producerId: 'd1' });
    assert.deepEqual(readMessageValue(seqAndDevice, Buffer.from('{"seq": 0, "device": 12}'), undefined), { value: 0, producerId: '12' });
    const nested: ValueSource = { value: fieldLocation('meta.counter', '--value-field') };
    assert.deepEqual(readMessageValue(nested, '{"meta": {"counter": 9}}', undefined), { value: 9 });
  });

  it('a whole number from 0 only: a fraction, a negative, a string, a boolean or beyond 2^53 is not an integer', () => {
    const source: ValueSource = { value: fieldLocation('seq', '--value-field') };
    for (const [payload, found] of [
      ['{"seq": 1.5}', '1.5'],
      ['{"seq": -3}', '-3'],
      ['{"seq": "17"}', '17'],
      ['{"seq": true}', 'true'],
      ['{"seq": 9007199254740993}', '9007199254740992'],
      ['{"seq": {"n": 1}}', '{"n":1}'],
    ] as const) {
      assert.deepEqual(readMessageValue(source, payload, undefined), { error: { reason: 'not-an-integer', source: 'field', name: 'seq', found } }, payload);
    }
  });

  it('no such field, null there, or a payload that is no JSON is a bad path, with the payload shown (40 characters)', () => {
    const source: ValueSource = { value: fieldLocation('seq', '--value-field') };
    assert.deepEqual(readMessageValue(source, '{"sequence": 17}', undefined), {
      error: { reason: 'bad-path', role: 'value', source: 'field', name: 'seq', found: null, payload: '{"sequence": 17}', truncated: false },
    });
    assert.deepEqual(readMessageValue(source, '{"seq": null}', undefined), {
      error: { reason: 'bad-path', role: 'value', source: 'field', name: 'seq', found: null, payload: '{"seq": null}', truncated: false },
    });
    const long = `not json ${'x'.repeat(50)}`;
    assert.deepEqual(readMessageValue(source, long, undefined), {
      error: { reason: 'bad-path', role: 'value', source: 'field', name: 'seq', found: null, payload: long.slice(0, 40), truncated: true },
    });
  });

  it('a producer field that is missing, empty, too long or not text or a number is a bad path of the producer', () => {
    const bad = (payload: string): unknown => (readMessageValue(seqAndDevice, payload, undefined) as { error: unknown }).error;
    assert.deepEqual(bad('{"seq": 1}'), { reason: 'bad-path', role: 'producer', source: 'field', name: 'device', found: null, payload: '{"seq": 1}', truncated: false });
    assert.equal((bad('{"seq": 1, "device": ""}') as { found: string }).found, '');
    assert.equal((bad(`{"seq": 1, "device": "${'d'.repeat(65)}"}`) as { found: string }).found, 'd'.repeat(40));
    assert.equal((bad('{"seq": 1, "device": ["d1"]}') as { found: string }).found, '["d1"]');
  });

  it('reads user properties: a value in plain decimal, a producer by name (the first of a repeated name)', () => {
    const source: ValueSource = { value: propertyLocation('seq', '--value-property'), producer: propertyLocation('device', '--producer-property') };
    assert.deepEqual(readMessageValue(source, 'anything at all', { seq: '17', device: ['d2', 'd3'] }), { value: 17, producerId: 'd2' });
    assert.deepEqual(readMessageValue(source, '', { seq: '17.0', device: 'd2' }), { error: { reason: 'not-an-integer', source: 'property', name: 'seq', found: '17.0' } });
    assert.deepEqual(readMessageValue(source, 'x', { device: 'd2' }), {
      error: { reason: 'bad-path', role: 'value', source: 'property', name: 'seq', found: null, payload: 'x', truncated: false },
    });
    assert.deepEqual(readMessageValue(source, 'x', undefined), {
      error: { reason: 'bad-path', role: 'value', source: 'property', name: 'seq', found: null, payload: 'x', truncated: false },
    });
  });

  it("a producer field alone: the value is the producer's own payload, the producer read from the JSON is not a value", () => {
    const source: ValueSource = { producer: propertyLocation('device', '--producer-property') };
    assert.deepEqual(readMessageValue(source, '5', { device: 'd1' }), { value: 5, producerId: 'd1' });
    assert.equal((readMessageValue(source, 'five', { device: 'd1' }) as { error: { reason: string } }).error.reason, 'not-a-value');
  });
});

describe('counting what could not be read', () => {
  it('counts bad paths and non-integers apart from invalid payloads, keeping the first of each, in the summary and the checkpoint', () => {
    const tracker = new SequenceTracker();
    const source: ValueSource = { value: fieldLocation('seq', '--value-field') };
    for (const payload of ['{"seq": 1.5}', '{"x": 1}', '{"seq": "2"}', '{"y": 2}', '{"y": 3}']) {
      const read = readMessageValue(source, payload, undefined);
      assert.ok('error' in read);
      tracker.reject('sensors/a', read.error);
    }
    tracker.reject('sensors/a', { reason: 'too-large', bytes: 10, limit: 5 });
    const summary = tracker.summary();
    assert.equal(summary.invalid, 1);
    assert.deepEqual(summary.badPaths, { count: 3, example: { topic: 'sensors/a', role: 'value', source: 'field', name: 'seq', found: null } });
    assert.deepEqual(summary.nonIntegers, { count: 2, example: { topic: 'sensors/a', role: 'value', source: 'field', name: 'seq', found: '1.5' } });
    const restored = new SequenceTracker();
    restored.restore(tracker.snapshot());
    assert.deepEqual(restored.summary().badPaths, summary.badPaths);
    assert.deepEqual(restored.summary().nonIntegers, summary.nonIntegers);
  });

  it('sums records, the first example found among them kept', () => {
    const a = noUnreadable();
    const b = noUnreadable();
    countUnreadable(b, 't', { reason: 'not-an-integer', source: 'property', name: 'seq', found: 'x' });
    countUnreadable(a, 't', { reason: 'bad-path', role: 'producer', source: 'field', name: 'device', found: null, payload: '{}', truncated: false });
    countUnreadable(b, 'u', { reason: 'bad-path', role: 'value', source: 'field', name: 'seq', found: null, payload: '{}', truncated: false });
    const sum = sumUnreadable([a, b]);
    assert.deepEqual(sum.badPaths, { count: 2, example: { topic: 't', role: 'producer', source: 'field', name: 'device', found: null } });
    assert.deepEqual(sum.nonIntegers, { count: 1, example: { topic: 't', role: 'value', source: 'property', name: 'seq', found: 'x' } });
  });

  it("a run that verified nothing is told by this run's rejections, not those a checkpoint carried", () => {
    const before = { invalid: 4, ...noUnreadable() };
    const after = { invalid: 6, ...noUnreadable() };
    countUnreadable(after, 't', { reason: 'not-an-integer', source: 'field', name: 'seq', found: '1.5' });
    const source: ValueSource = { value: fieldLocation('seq', '--value-field') };
    assert.deepEqual(nothingVerifiedEvent(3, before, after, source), {
      event: 'nothing-verified',
      messages: 3,
      invalid: 2,
      badPaths: 0,
      nonIntegers: 1,
      valueOption: { source: 'field', name: 'seq' },
    });
    assert.equal(nothingVerifiedEvent(1, before, after, {}).valueOption, null);
  });
});
