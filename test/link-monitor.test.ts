import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConnectionEvent } from '../src/core/events.js';
import { LinkMonitor, type Connack, type LinkDecision, type LinkSettings } from '../src/core/link-monitor.js';
import { describeLinkReason } from '../src/core/reasons.js';

const one: LinkSettings = { urls: ['mqtt://a:1883'], clientId: 'c1', protocolVersion: 5, keepalive: 10 };
const three: LinkSettings = { ...one, urls: ['mqtt://a:1883', 'mqtt://b:1883', 'mqtt://c:1883'] };
const accepted: Connack = { code: 0, sessionPresent: true, receiveMaximum: 20 };

const said = (decisions: LinkDecision[]): ConnectionEvent[] => decisions.flatMap((d) => (d.decision === 'say' ? [d.event] : []));
const retries = (decisions: LinkDecision[]): number[] => decisions.flatMap((d) => (d.decision === 'reconnect' ? [d.inMs] : []));
const stopped = (decisions: LinkDecision[]): string | undefined => decisions.flatMap((d) => (d.decision === 'stop' ? [d.error.message] : []))[0];

/** An attempt whose socket connects and whose CONNACK accepts, at `now`. */
function connect(monitor: LinkMonitor, now: number, connack = accepted): LinkDecision[] {
  monitor.attempt();
  monitor.socketConnected();
  return monitor.connack(connack, now);
}

/** An attempt that reaches no broker, closed at `now`. */
function failAttempt(monitor: LinkMonitor, now: number, text = 'connect ECONNREFUSED 127.0.0.1:1883'): LinkDecision[] {
  monitor.attempt();
  monitor.error({ kind: 'other', text });
  return monitor.closed(now);
}

describe('link monitor: connecting', () => {
  it('an accepted CONNACK says connected, with the session, the node and the broker window', () => {
    const monitor = new LinkMonitor(three);
    assert.deepEqual(monitor.start(0), []);
    const events = said(connect(monitor, 100, { code: 0, sessionPresent: false, receiveMaximum: null }));
    assert.deepEqual(events, [
      { event: 'connected', url: 'mqtt://a:1883', node: 1, nodes: 3, clientId: 'c1', sessionPresent: false, receiveMaximum: null, previousClosedSilently: false },
    ]);
    assert.equal(monitor.connected, true);
  });

  it('a broker that cannot be reached is said once, with the retry delay, and tried again after it', () => {
    const monitor = new LinkMonitor(one);
    const first = failAttempt(monitor, 0);
    assert.deepEqual(said(first), [{ event: 'unreachable', url: 'mqtt://a:1883', reason: { code: 'socket-error', error: 'connect ECONNREFUSED 127.0.0.1:1883' }, retryInMs: 250 }]);
    assert.deepEqual(retries(first), [250]);
    const second = failAttempt(monitor, 300);
    assert.deepEqual(said(second), [], 'the same reason within 30 s is not said again');
    assert.deepEqual(retries(second), [500]);
  });

  it('the delay doubles after each failed attempt up to 5 s, and starts again at 250 ms once connected', () => {
    const monitor = new LinkMonitor(one);
    const delays = Array.from({ length: 7 }, (_, i) => retries(failAttempt(monitor, i * 10))[0]);
    assert.deepEqual(delays, [250, 500, 1000, 2000, 4000, 5000, 5000]);
    connect(monitor, 1000);
    monitor.error({ kind: 'other', text: 'read ETIMEDOUT' });
    assert.deepEqual(retries(monitor.closed(2000)), [250]);
  });

  it('a reason is said again after 30 s, and a new reason at once', () => {
    const monitor = new LinkMonitor(one);
    failAttempt(monitor, 0);
    assert.equal(said(failAttempt(monitor, 29_999)).length, 0);
    assert.equal(said(failAttempt(monitor, 30_000)).length, 1);
    assert.deepEqual(
      said(failAttempt(monitor, 30_001, 'getaddrinfo ENOTFOUND a')).map((e) => (e.event === 'unreachable' ? describeLinkReason(e.reason) : '')),
      ['getaddrinfo ENOTFOUND a'],
    );
  });

  it('with several brokers, each attempt goes to the next, and the delay grows only once a whole round failed', () => {
    const monitor = new LinkMonitor(three);
    const servers: number[] = [];
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      servers.push(monitor.attempt());
      delays.push(...retries(monitor.closed(i)));
    }
    assert.deepEqual(servers, [0, 1, 2, 0, 1, 2]);
    assert.deepEqual(delays, [250, 250, 250, 500, 500, 500]);
    assert.deepEqual(said(connect(monitor, 10)).map((e) => (e.event === 'connected' ? e.node : 0)), [1]);
  });

  it('a socket closed before any CONNACK: no answer, or the broker closing it, with the hint for MQTT 5', () => {
    const reasons = (settings: LinkSettings): string[] => {
      const monitor = new LinkMonitor(settings);
      monitor.attempt();
      const silent = said(monitor.closed(0));
      monitor.attempt();
      monitor.socketConnected();
      const closedByBroker = said(monitor.closed(1));
      return [...silent, ...closedByBroker].map((e) => (e.event === 'unreachable' ? describeLinkReason(e.reason) : ''));
    };
    assert.deepEqual(reasons(one), [
      'no answer',
      'the broker closed the connection without answering the CONNECT; a broker that speaks only MQTT 3.1.1 (RabbitMQ 3.10) does so to MQTT 5: try -V 4',
    ]);
    assert.deepEqual(reasons({ ...one, protocolVersion: 4 }), ['no answer', 'the broker closed the connection without answering the CONNECT']);
  });
});

describe('link monitor: what retrying cannot fix', () => {
  it('refused credentials stop at once, and the error that follows the refusal changes nothing', () => {
    const monitor = new LinkMonitor(one);
    monitor.attempt();
    const decisions = monitor.connack({ code: 0x86, sessionPresent: false, receiveMaximum: null }, 0);
    assert.equal(stopped(decisions), 'mqtt://a:1883 refused the connection: bad user name or password');
    assert.deepEqual(monitor.error({ kind: 'other', text: 'Connection refused: Bad username or password' }), []);
    assert.deepEqual(monitor.closed(1), []);
  });

  it('MQTT 3.1.1 return codes 1 to 5 stop; a busy MQTT 5 broker (0x89) is tried again with its reason', () => {
    for (const code of [1, 2, 3, 4, 5]) {
      const monitor = new LinkMonitor({ ...one, protocolVersion: 4 });
      monitor.attempt();
      assert.ok(stopped(monitor.connack({ code, sessionPresent: false, receiveMaximum: null }, 0)), `code ${code}`);
    }
    const monitor = new LinkMonitor(one);
    monitor.attempt();
    assert.deepEqual(monitor.connack({ code: 0x89, sessionPresent: false, receiveMaximum: null }, 0), []);
    monitor.error({ kind: 'other', text: 'Connection refused: Server busy' });
    const decisions = monitor.closed(1);
    assert.deepEqual(said(decisions), [{ event: 'unreachable', url: 'mqtt://a:1883', reason: { code: 'refused', connackCode: 0x89, protocolVersion: 5 }, retryInMs: 250 }]);
    assert.deepEqual(retries(decisions), [250]);
  });

  it('a TLS refusal stops; a DISCONNECT saying the session was taken over stops', () => {
    const tls = new LinkMonitor(one);
    tls.attempt();
    assert.equal(stopped(tls.error({ kind: 'tls-refusal', text: 'the certificate is not trusted' })), 'cannot connect securely to mqtt://a:1883: the certificate is not trusted');
    const takeover = new LinkMonitor(one);
    connect(takeover, 0);
    assert.match(stopped(takeover.disconnectPacket(0x8e)) ?? '', /^mqtt:\/\/a:1883 closed the connection: session taken over/);
    assert.deepEqual(takeover.closed(5), [], 'nothing is decided after a stop');
  });

  it('the connect timeout gives up with the last reason, counted from the start or from the loss of the link', () => {
    const monitor = new LinkMonitor({ ...one, connectTimeoutMs: 10_000 });
    assert.deepEqual(monitor.start(0), [{ decision: 'deadline', at: 10_000 }]);
    failAttempt(monitor, 100);
    assert.deepEqual(monitor.deadlineReached(9_999), []);
    assert.equal(stopped(monitor.deadlineReached(10_000)), 'gave up: no connection to mqtt://a:1883 for 10 s (connect ECONNREFUSED 127.0.0.1:1883)');

    const later = new LinkMonitor({ ...one, connectTimeoutMs: 10_000 });
    later.start(0);
    assert.deepEqual(connect(later, 50).filter((d) => d.decision === 'deadline'), [{ decision: 'deadline', at: null }]);
    assert.deepEqual(later.deadlineReached(10_000), [], 'connected: no deadline');
    later.error({ kind: 'keepalive-timeout' });
    assert.deepEqual(
      later.closed(60_000).filter((d) => d.decision === 'deadline'),
      [{ decision: 'deadline', at: 70_000 }],
    );
    assert.equal(stopped(later.deadlineReached(70_000)), 'gave up: no connection to mqtt://a:1883 for 10 s (no answer from the broker within 1.5 times the keep-alive (15 s): the link is dead)');
  });

  it('after end() (the user stops) nothing is decided any more', () => {
    const monitor = new LinkMonitor({ ...one, connectTimeoutMs: 1000 });
    monitor.start(0);
    connect(monitor, 1);
    monitor.end();
    assert.deepEqual(monitor.closed(2), []);
    assert.deepEqual(monitor.deadlineReached(5000), []);
    assert.deepEqual(monitor.disconnectPacket(0x8e), []);
    assert.equal(monitor.connected, false);
  });
});

describe('link monitor: a connection lost', () => {
  it('says offline with the reason: a keep-alive timeout, a DISCONNECT, or nothing at all', () => {
    const reasons: string[] = [];
    const monitor = new LinkMonitor(one);
    connect(monitor, 0);
    monitor.error({ kind: 'keepalive-timeout' });
    reasons.push(...said(monitor.closed(100_000)).map((e) => (e.event === 'offline' ? describeLinkReason(e.reason) : '')));
    connect(monitor, 100_300);
    monitor.disconnectPacket(0x8b);
    reasons.push(...said(monitor.closed(200_000)).map((e) => (e.event === 'offline' ? describeLinkReason(e.reason) : '')));
    connect(monitor, 200_300);
    reasons.push(...said(monitor.closed(300_000)).map((e) => (e.event === 'offline' ? describeLinkReason(e.reason) : '')));
    assert.deepEqual(reasons, ['no answer from the broker within 1.5 times the keep-alive (15 s): the link is dead', 'the broker is shutting down', 'connection lost']);
  });

  it('the connection after a silent close says so: a reset is silent, a DISCONNECT or another error is not', () => {
    const monitor = new LinkMonitor(one);
    connect(monitor, 0);
    monitor.error({ kind: 'reset', text: 'read ECONNRESET' });
    monitor.closed(10_000);
    assert.equal((said(connect(monitor, 10_300))[0] as { previousClosedSilently: boolean }).previousClosedSilently, true);
    monitor.disconnectPacket(0x8b);
    monitor.closed(20_000);
    assert.equal((said(connect(monitor, 20_300))[0] as { previousClosedSilently: boolean }).previousClosedSilently, false);
  });

  it('three silent closes within 15 s, each soon after a reconnect that followed one, mean a session taken over', () => {
    const monitor = new LinkMonitor(one);
    connect(monitor, 0);
    assert.equal(stopped(monitor.closed(10_000)), undefined, 'the first silent close is an ordinary loss');
    let now = 10_000;
    const outcomes: (string | undefined)[] = [];
    for (let i = 0; i < 3; i++) {
      connect(monitor, (now += 300));
      outcomes.push(stopped(monitor.closed((now += 500))));
    }
    assert.deepEqual(outcomes.slice(0, 2), [undefined, undefined]);
    assert.equal(
      outcomes[2],
      'mqtt://a:1883 closed the connection 3 times in 15 s right after it was made: most likely the session was taken over by another client with the client id c1 (stopping here, so that the two do not take it from each other in a loop)',
    );
  });

  it('silent closes of connections that lived 2 s or more, or spread over more than 15 s, are a link cut now and then', () => {
    const longLived = new LinkMonitor(one);
    connect(longLived, 0);
    longLived.closed(10_000);
    let now = 10_000;
    for (let i = 0; i < 5; i++) {
      connect(longLived, (now += 300));
      assert.equal(stopped(longLived.closed((now += 2000))), undefined);
    }
    const spread = new LinkMonitor(one);
    connect(spread, 0);
    spread.closed(10_000);
    now = 10_000;
    for (let i = 0; i < 5; i++) {
      connect(spread, (now += 8000));
      assert.equal(stopped(spread.closed((now += 500))), undefined);
    }
  });
});
