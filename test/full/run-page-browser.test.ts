/**
 * The page of a run, opened in a real headless browser (Debian's chromium): the fault window, the lost
 * values, the failover and the longest time without delivery are there as the browser built the page,
 * from a saved history (report --html) and from a real fault scenario on a NATS cluster (demo --html).
 * Screenshots are kept in test-artifacts/.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { historyLines, type Operation } from '../../src/core/history.js';
import { chromiumSkip, pngSize, renderedDom, screenshot } from '../support/browser.js';
import { CliProcess } from '../support/cli.js';
import { natsSkip } from '../support/nats.js';

const artifacts = join(import.meta.dirname, '..', '..', 'test-artifacts');

/** The elements of one class in the DOM, as their opening tags. */
function tags(dom: string, className: string): string[] {
  return [...dom.matchAll(new RegExp(`<g class="${className}"[^>]*>`, 'g'))].map((match) => match[0]);
}

function attribute(tag: string, name: string): string | undefined {
  return new RegExp(`${name}="([^"]*)"`).exec(tag)?.[1];
}

/** A kill of node 2 at 4.05 s while 100 values go out a 100 ms; 41..45 acknowledged and never delivered. */
function killHistory(): Operation[] {
  const scenario = 'kill-consumer-node';
  const ops: Operation[] = [
    { scenario, process: 'consumer-1', time: 0, f: 'connect', type: 'ok', role: 'consumer', session: 'c', node: 2, sessionPresent: false },
    { scenario, process: 'nemesis', time: 4050, f: 'fault', type: 'invoke', kind: 'kill', node: 2 },
    { scenario, process: 'nemesis', time: 4060, f: 'fault', type: 'ok', kind: 'kill', node: 2 },
    { scenario, process: 'consumer-1', time: 5900, f: 'connect', type: 'ok', role: 'consumer', session: 'c', node: 1, sessionPresent: true },
  ];
  for (let value = 1; value <= 100; value++) {
    const time = value * 100;
    ops.push({ scenario, process: 'producer-1', time, f: 'publish', type: 'invoke', stream: 't', value }, { scenario, process: 'producer-1', time: time + 3, f: 'publish', type: 'ok', stream: 't', value });
    if (value < 41 || value > 45) ops.push({ scenario, process: 'consumer-1', time: value <= 40 ? time + 5 : Math.max(6000, time + 5), f: 'deliver', type: 'ok', stream: 't', value, session: 'c', node: value <= 40 ? 2 : 1 });
  }
  return ops.sort((a, b) => a.time - b.time);
}

describe('the page of a run in a real browser', { skip: chromiumSkip() }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mqtt-persistent-sessions-page-'));
    mkdirSync(artifacts, { recursive: true });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('report --html draws a saved history: the kill as a window until the end, the five lost values crossed, the failover and the gap', async () => {
    const history = join(dir, 'history.jsonl');
    const page = join(dir, 'page.html');
    writeFileSync(history, historyLines(killHistory()));
    const report = CliProcess.report(['--history', history, '--html', page]);
    const exit = await report.exitWithin(60_000);
    assert.equal(exit.code, 3, report.stderr);
    assert.match(report.stdout, /5 acknowledged lost \(41-45\)/);

    const dom = renderedDom(page);
    assert.match(dom, /<section id="kill-consumer-node" data-verdict="FAIL">/);
    assert.deepEqual(tags(dom, 'fault'), ['<g class="fault" data-fault="kill" data-node="2" data-from-ms="4050" data-to-ms="10005">']);
    assert.match(dom, />kill node 2 \(not undone\)<\/text>/);
    assert.deepEqual(tags(dom, 'lost'), ['<g class="lost" data-lost="5">']);
    assert.deepEqual(
      tags(dom, 'lost-mark').map((tag) => attribute(tag, 'data-low')),
      ['41', '42', '43', '44', '45'],
    );
    assert.deepEqual(tags(dom, 'longest-gap'), ['<g class="longest-gap" data-ms="1995" data-from-ms="4005" data-to-ms="6000">']);
    // The consumer's first value after the kill came through node 1 at 6 s: 1.95 s, measured through another node.
    assert.deepEqual(tags(dom, 'failover'), ['<g class="failover" data-at-ms="4050" data-ms="1950">']);
    assert.match(dom, /failover \d\.\d s \(through another node\)/);
    assert.equal(tags(dom, 'series').length, 3);

    const png = join(artifacts, 'report-page.png');
    screenshot(page, png);
    assert.deepEqual(pngSize(png), { width: 1400, height: 1100 });
  });

  it('demo --html draws a real kill of the consumer\'s node on a NATS cluster: the window of the kill and the values delivered after it', { skip: natsSkip(), timeout: 600_000 }, async () => {
    const history = join(dir, 'run.jsonl');
    const page = join(dir, 'run.html');
    const demo = CliProcess.demo(['--scenario', 'kill-consumer-node', '--broker', 'nats', '--nodes', '3', '--history', history, '--html', page]);
    const exit = await demo.exitWithin(540_000);
    const verdict = /^(PASS|FAIL)$/m.exec(demo.stdout)?.[1];
    assert.ok(verdict, `no verdict in:\n${demo.stdout}\n${demo.stderr}`);
    assert.equal(exit.code, verdict === 'PASS' ? 0 : 1);

    const operations = readFileSync(history, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Operation);
    const kill = operations.find((op) => op.f === 'fault' && op.type === 'invoke' && op.kind === 'kill');
    assert.ok(kill && kill.f === 'fault', 'the history has the kill');
    const delivered = operations.filter((op) => op.f === 'deliver').length;

    const dom = renderedDom(page);
    assert.match(dom, new RegExp(`<section id="kill-consumer-node" data-verdict="${verdict}">`));
    const faults = tags(dom, 'fault');
    assert.equal(faults.length, 1, faults.join('\n'));
    assert.equal(attribute(faults[0]!, 'data-fault'), 'kill');
    assert.equal(attribute(faults[0]!, 'data-node'), String(kill.node));
    assert.equal(attribute(faults[0]!, 'data-from-ms'), String(kill.time));
    assert.match(dom, new RegExp(`<li>Delivered: ${delivered}</li>`));
    assert.equal(tags(dom, 'failover').length, 1);

    const png = join(artifacts, 'demo-kill-consumer-node.png');
    screenshot(page, png);
    assert.deepEqual(pngSize(png), { width: 1400, height: 1100 });
  });
});
