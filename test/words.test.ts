/** The words the commands print, made in one place from events that carry only codes and numbers. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { causeText } from '../src/cli/causes.js';
import { formatDuration, formatRange, formatRanges, formatSeconds, formatValues, hex } from '../src/cli/format.js';
import { invalidText, warningText } from '../src/cli/notices.js';
import { createConsumerRenderer, createProducerRenderer } from '../src/cli/render.js';
import type { ConsumerEvent, Warning } from '../src/core/events.js';
import { valueRanges } from '../src/core/history.js';
import { parseValue, readValueProperties } from '../src/core/wire.js';
import { maskUrl, maskUrls } from '../src/mqtt/settings.js';

describe('the shared formatting', () => {
  it('a duration in the unit a person reads best: ms below a second, s below 2 min, min below 2 h, then h', () => {
    assert.deepEqual([0, 999.4, 1000, 1049, 1050, 12_345, 59_960, 119_949, 119_950, 119_999, 120_000, 7_199_999, 7_200_000].map(formatDuration), [
      '0 ms',
      '999 ms',
      '1.0 s',
      '1.0 s',
      '1.1 s',
      '12.3 s',
      '60.0 s',
      '119.9 s',
      '120.0 s',
      '120.0 s',
      '2.0 min',
      '120.0 min',
      '2.0 h',
    ]);
  });

  it('the steps of a story always in seconds, to a tenth', () => {
    assert.deepEqual([0, 1500, 90_000, 3_600_000].map(formatSeconds), ['0.0 s', '1.5 s', '90.0 s', '3600.0 s']);
  });

  it('a range is one value or from-to; a long list of ranges keeps its ends and counts the middle', () => {
    assert.equal(formatRange(7, 7), '7');
    assert.equal(formatRange(3, 5), '3-5');
    assert.equal(formatRanges([]), '');
    assert.equal(formatRanges([{ from: 1, to: 1 }, { from: 3, to: 9 }]), '1, 3-9');
    const ten = Array.from({ length: 10 }, (_, i) => ({ from: i * 10, to: i * 10 + 1 }));
    assert.equal(formatRanges(ten), '0-1, 10-11, 20-21, 30-31, 40-41, 50-51, ... (2 more ranges) ..., 80-81, 90-91');
    assert.equal(formatRanges(ten.slice(0, 8)), '0-1, 10-11, 20-21, 30-31, 40-41, 50-51, 60-61, 70-71', 'eight ranges are shown whole');
  });

  it('values become ranges of consecutive ones, every one shown', () => {
    assert.deepEqual(valueRanges([3, 4, 5, 9, 11, 12]), [
      { from: 3, to: 5 },
      { from: 9, to: 9 },
      { from: 11, to: 12 },
    ]);
    assert.deepEqual(valueRanges([]), []);
    assert.equal(formatValues([3, 4, 5, 9]), '3-5, 9');
    const many = Array.from({ length: 20 }, (_, i) => i * 2);
    assert.equal(formatValues(many).split(', ').length, 20, 'no range left out');
  });

  it('a reason code in hex, two digits at least', () => {
    assert.deepEqual([0, 0x8f, 0x9e, 0x100].map(hex), ['0x00', '0x8F', '0x9E', '0x100']);
  });

  it('a URL is shown with its password masked, a list each of its URLs, even one that does not parse', () => {
    assert.equal(maskUrl('mqtt://user:secret@127.0.0.1:1883'), 'mqtt://user:***@127.0.0.1:1883');
    assert.equal(maskUrl(new URL('mqtts://user:secret@broker.example:8883/')), 'mqtts://user:***@broker.example:8883');
    assert.equal(maskUrl('mqtt://127.0.0.1:1883'), 'mqtt://127.0.0.1:1883', 'nothing to mask');
    assert.equal(maskUrls('mqtt://a:x@n1:1883,mqtt://b:y@n2:1884'), 'mqtt://a:***@n1:1883,mqtt://b:***@n2:1884');
    assert.equal(maskUrl('mqtt://user:secret@bad host:1883'), 'mqtt://user:***@bad host:1883');
  });
});

describe('the words of events that carry only codes', () => {
  const warnings: Array<[Warning, string]> = [
    [{ code: 'insecure-tls' }, "--insecure: the broker's certificate is NOT checked; anyone on the path can pretend to be the broker and read or change every message"],
    [{ code: 'session-expiry-zero' }, 'a session expiry of 0 ends the session at every disconnect: nothing is kept while away (use -x 3600)'],
    [
      { code: 'subscription-retry', topic: 'my_topic', reasonCode: 0x80, retryInMs: 1000, attempt: 2, attempts: 8 },
      'subscription to my_topic refused: unspecified error; a cluster may refuse while it recovers from a lost node: trying again in 1 s (attempt 2 of 8)',
    ],
    [{ code: 'malformed-property', topic: 't', property: 'sent-at', value: 'yesterday' }, 'malformed sent-at user property "yesterday" on t: ignored (the value is still counted)'],
    [{ code: 'malformed-property', topic: 't', property: 'run-id', value: null }, 'malformed run-id user property on t: ignored (the value is still counted)'],
  ];
  for (const [warning, words] of warnings) {
    it(`warning ${warning.code}${'value' in warning && warning.value === null ? ' (no value shown)' : ''}`, () => assert.equal(warningText(warning), words));
  }

  it('a malformed user property is data: the property and what it held, cut at 30 characters', () => {
    assert.deepEqual(readValueProperties({ 'sent-at': 'x'.repeat(40) }).problem, { property: 'sent-at', value: 'x'.repeat(30) });
    assert.deepEqual(readValueProperties({ 'producer-id': '' }).problem, { property: 'producer-id', value: null });
  });

  it('the send time is 1 to 15 decimal digits (leading zeros allowed); anything else is a problem, never a time', () => {
    for (const [text, time] of [['1764500000000', 1764500000000], ['0007', 7], ['0', 0], ['999999999999999', 999999999999999]] as const) {
      assert.deepEqual(readValueProperties({ 'sent-at': text }), { sentAt: time }, text);
    }
    for (const text of ['', '1234567890123456', '12a', ' 12', '-1', '1.5', '１２', '1e3']) {
      assert.deepEqual(readValueProperties({ 'sent-at': text }).problem, { property: 'sent-at', value: text }, JSON.stringify(text));
    }
  });

  it('a payload read from its bytes means what the same payload read as text means', () => {
    const payloads = ['0', '7', '42', '123456789012345', '1234567890123456', '00', '007', ' 7', '7 ', '7\n', 'p1:5', '-5', '+5', '1.5', '1e3', '', '٣', '９'];
    for (const text of payloads) assert.deepEqual(parseValue(Buffer.from(text)), parseValue(text), JSON.stringify(text));
    assert.deepEqual(parseValue(Buffer.from('123456789012345')), { value: 123456789012345 });
  });

  it('a payload that is no counter value: its first 40 characters, and "..." when there were more', () => {
    const short = parseValue('hello');
    assert.ok('error' in short);
    assert.deepEqual(short.error, { reason: 'not-a-value', payload: 'hello', truncated: false });
    assert.equal(invalidText(short.error), 'not a counter value (a whole number from 0, or "producer-id:number", as the producer sends): "hello"');
    const long = parseValue('y'.repeat(50));
    assert.ok('error' in long);
    assert.equal(invalidText(long.error), `not a counter value (a whole number from 0, or "producer-id:number", as the producer sends): "${'y'.repeat(40)}..."`);
    assert.equal(invalidText({ reason: 'too-large', bytes: 1048577, limit: 1048576 }), 'payload of 1048577 bytes is larger than 1048576');
  });

  it('every cause of a gap has its words', () => {
    for (const [cause, words] of Object.entries(causeText)) assert.ok(words.length > 20, cause);
    assert.match(causeText.qos0, /^QoS 0: such messages are never queued/);
  });
});

/** What a renderer wrote to stdout and stderr, both real files. */
async function rendered(json: boolean, events: ConsumerEvent[]): Promise<{ out: string; err: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'words-'));
  const out = createWriteStream(join(dir, 'out')) as unknown as NodeJS.WriteStream;
  const err = createWriteStream(join(dir, 'err')) as unknown as NodeJS.WriteStream;
  await Promise.all([once(out, 'open'), once(err, 'open')]);
  const renderer = createConsumerRenderer(json, out, err);
  for (const event of events) renderer.render(event);
  await renderer.flush();
  out.end();
  err.end();
  await Promise.all([once(out, 'finish'), once(err, 'finish')]);
  return { out: readFileSync(join(dir, 'out'), 'utf8'), err: readFileSync(join(dir, 'err'), 'utf8') };
}

describe('the renderers', () => {
  const events: ConsumerEvent[] = [
    { event: 'warning', code: 'insecure-tls' },
    { event: 'warning', code: 'session-expiry-zero' },
    { event: 'invalid', topic: 't', reason: 'too-large', bytes: 10, limit: 5 },
    { event: 'gap', topic: 't', producerId: null, from: 3, to: 5, missing: 3, cause: 'qos0' },
  ];

  it('for a person: each event one line, a warning about the settings on stderr', async () => {
    const { out, err } = await rendered(false, events);
    assert.equal(err, `Warning: ${warningText({ code: 'insecure-tls' })}\n`);
    assert.equal(
      out,
      [
        'Warning: a session expiry of 0 ends the session at every disconnect: nothing is kept while away (use -x 3600)',
        'Ignored a message on t: payload of 10 bytes is larger than 5',
        `GAP: 3-5 missing (3 values) on t: ${causeText.qos0}`,
        '',
      ].join('\n'),
    );
  });

  it('as JSON: codes and numbers, no sentence; the warning about the settings still on stderr for a person', async () => {
    const { out, err } = await rendered(true, events);
    assert.equal(err, `Warning: ${warningText({ code: 'insecure-tls' })}\n`);
    assert.deepEqual(
      out.trim().split('\n').map((line) => JSON.parse(line) as unknown),
      events.slice(1),
    );
  });

  it('the producer says the same warnings in the same words', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'words-'));
    const out = createWriteStream(join(dir, 'out')) as unknown as NodeJS.WriteStream;
    await once(out, 'open');
    const renderer = createProducerRenderer(false, out, out);
    renderer.render({ event: 'warning', code: 'session-expiry-zero' });
    await renderer.flush();
    out.end();
    await once(out, 'finish');
    assert.equal(readFileSync(join(dir, 'out'), 'utf8'), `Warning: ${warningText({ code: 'session-expiry-zero' })}\n`);
  });
});
