import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backlogQuietMs, SessionContext } from '../src/core/session-context.js';

const persistent = { clean: false, queueLimit: null };
const returned = (node = 1) => ({ sessionPresent: true, node, previousClosedSilently: false });

describe('session context: which session a message arrived in', () => {
  it('a message sent before the CONNACK of a present session was queued; one sent after it is live', () => {
    const sessions = new SessionContext(persistent);
    sessions.connected(returned(), 1000);
    assert.equal(sessions.arrived({ retained: false, qos: 1, sentAt: 999 }).queued, true);
    assert.equal(sessions.arrived({ retained: false, qos: 1, sentAt: 1000 }).queued, false);
  });

  it('a value sent between the CONNECT and the reading of its CONNACK may have waited or not: not known', () => {
    const sessions = new SessionContext(persistent);
    sessions.connected(returned(), 1000, 900);
    assert.equal(sessions.arrived({ retained: false, qos: 1, sentAt: 899 }).queued, true, 'sent before the CONNECT');
    assert.equal(sessions.arrived({ retained: false, qos: 1, sentAt: 900 }).queued, null, 'sent as the CONNECT went out');
    assert.equal(sessions.arrived({ retained: false, qos: 1, sentAt: 999 }).queued, null, 'sent while the CONNACK was on its way');
    assert.equal(sessions.arrived({ retained: false, qos: 1, sentAt: 1000 }).queued, false, 'sent once the CONNACK was read');
  });

  it('such a value is not counted in the backlog, and the backlog is over with it', () => {
    const sessions = new SessionContext(persistent);
    sessions.connected(returned(), 1000, 900);
    assert.equal(sessions.recorded({ retained: false, queued: true }, [400], 1001), null);
    const backlog = sessions.recorded({ retained: false, queued: false }, [], 1002);
    assert.deepEqual(backlog, { event: 'backlog', count: 1, longestWaitMs: 400 });
  });

  it('nothing is queued without a session, at QoS 0, or for a retained copy', () => {
    const sessions = new SessionContext(persistent);
    sessions.connected({ sessionPresent: false, node: 1, previousClosedSilently: false }, 1000);
    assert.equal(sessions.arrived({ retained: false, qos: 1, sentAt: 10 }).queued, false, 'no session present');
    sessions.connected(returned(), 2000);
    assert.equal(sessions.arrived({ retained: false, qos: 0, sentAt: 10 }).queued, false, 'QoS 0');
    assert.equal(sessions.arrived({ retained: true, qos: 1, sentAt: 10 }).queued, false, 'retained');
    assert.equal(sessions.arrived({ retained: false, qos: 2, sentAt: 10 }).queued, true, 'QoS 2 sent while away');
  });

  it('in a resumed session, whether a value without a send time had waited is not known; in a new one it is live', () => {
    const sessions = new SessionContext(persistent);
    sessions.connected({ sessionPresent: false, node: 1, previousClosedSilently: false }, 1000);
    assert.equal(sessions.arrived({ retained: false, qos: 1, sentAt: undefined }).queued, false, 'a new session holds nothing queued');
    sessions.connected(returned(), 2000);
    assert.equal(sessions.arrived({ retained: false, qos: 1, sentAt: undefined }).queued, null, 'resumed: not known');
    assert.equal(sessions.arrived({ retained: false, qos: 0, sentAt: undefined }).queued, false, 'QoS 0 is never queued');
    assert.equal(sessions.arrived({ retained: true, qos: 1, sentAt: undefined }).queued, false, 'a retained copy is sent at the subscribe');
  });

  it('the order of the wire decides: a message after the second CONNACK belongs to the second session', () => {
    const sessions = new SessionContext(persistent);
    sessions.connected(returned(), 1000);
    const first = sessions.arrived({ retained: false, qos: 1, sentAt: 1500 });
    sessions.connected({ sessionPresent: false, node: 1, previousClosedSilently: true }, 2000);
    const second = sessions.arrived({ retained: false, qos: 1, sentAt: 1500 });
    assert.deepEqual([first.queued, first.context.sessionPresent, first.context.takeoverSuspected], [false, true, false]);
    assert.deepEqual([second.queued, second.context.sessionPresent, second.context.takeoverSuspected], [false, false, true]);
    assert.equal(sessions.connection, 2);
  });
});

describe('session context: the session kept and lost', () => {
  it('a session is lost when the broker has none although this consumer had one; a clean consumer never has one', () => {
    const sessions = new SessionContext(persistent);
    assert.equal(sessions.connected({ sessionPresent: false, node: 1, previousClosedSilently: false }, 0).sessionLost, false, 'the first connection had none to lose');
    assert.equal(sessions.hadSession, true);
    assert.equal(sessions.connected(returned(), 10).sessionLost, false);
    assert.equal(sessions.connected({ sessionPresent: false, node: 1, previousClosedSilently: false }, 20).sessionLost, true);

    const clean = new SessionContext({ clean: true, queueLimit: null });
    clean.hadSession = false;
    clean.connected({ sessionPresent: false, node: 1, previousClosedSilently: false }, 0);
    assert.equal(clean.connected({ sessionPresent: false, node: 1, previousClosedSilently: false }, 10).sessionLost, false);
    assert.equal(clean.hadSession, false);
    assert.equal(clean.arrived({ retained: false, qos: 1, sentAt: 5 }).context.clean, true);
  });

  it('a session kept in a checkpoint counts as had: the first connection can find it lost', () => {
    const sessions = new SessionContext(persistent);
    sessions.hadSession = true;
    assert.equal(sessions.connected({ sessionPresent: false, node: 1, previousClosedSilently: false }, 0).sessionLost, true);
  });

  it('a connection to another node than the last one is a failover; the first connection is not', () => {
    const sessions = new SessionContext({ clean: false, queueLimit: 100 });
    sessions.connected(returned(1), 0);
    assert.equal(sessions.arrived({ retained: false, qos: 1, sentAt: 1 }).context.movedNode, false);
    sessions.connected(returned(2), 10);
    const { context } = sessions.arrived({ retained: false, qos: 1, sentAt: 11 });
    assert.deepEqual(context, {
      clean: false,
      sessionPresent: true,
      hadSession: true,
      afterReturn: true,
      queuedOnReturn: 0,
      queueLimit: 100,
      takeoverSuspected: false,
      movedNode: true,
    });
    sessions.connected(returned(2), 20);
    assert.equal(sessions.arrived({ retained: false, qos: 1, sentAt: 21 }).context.movedNode, false);
  });
});

describe('session context: the backlog', () => {
  it('queued values count towards the backlog, which the first live value ends and says, with the longest wait', () => {
    const sessions = new SessionContext(persistent);
    sessions.connected(returned(), 1000);
    assert.equal(sessions.recorded({ retained: false, queued: true }, [400], 1001), null);
    assert.equal(sessions.arrived({ retained: false, qos: 1, sentAt: 1 }).context.queuedOnReturn, 1);
    assert.equal(sessions.recorded({ retained: false, queued: true }, [900], 1002), null);
    assert.equal(sessions.arrived({ retained: false, qos: 1, sentAt: 1 }).context.afterReturn, true);
    assert.deepEqual(sessions.recorded({ retained: false, queued: false }, [], 1003), { event: 'backlog', count: 2, longestWaitMs: 900 });
    const after = sessions.arrived({ retained: false, qos: 1, sentAt: 1003 }).context;
    assert.deepEqual([after.afterReturn, after.queuedOnReturn], [false, 2]);
    assert.equal(sessions.endBacklog(), null, 'said once');
  });

  it('the backlog is said once it has been quiet for a while, each queued value putting that moment off', () => {
    const sessions = new SessionContext(persistent);
    sessions.connected(returned(), 1000);
    sessions.recorded({ retained: false, queued: true }, [null], 1010);
    assert.equal(sessions.quietAt, 1010 + backlogQuietMs);
    sessions.recorded({ retained: false, queued: true }, [null], 1100);
    assert.equal(sessions.quiet(1010 + backlogQuietMs), null, 'put off by the second value');
    assert.deepEqual(sessions.quiet(1100 + backlogQuietMs), { event: 'backlog', count: 2, longestWaitMs: null });
    assert.equal(sessions.quietAt, null);
    assert.equal(sessions.quiet(5000), null);
  });

  it('a retained copy neither ends nor extends the backlog; a duplicate the tracker did not count as queued adds nothing', () => {
    const sessions = new SessionContext(persistent);
    sessions.connected(returned(), 1000);
    sessions.recorded({ retained: false, queued: true }, [50], 1010);
    assert.equal(sessions.recorded({ retained: true, queued: false }, [], 1200), null);
    assert.equal(sessions.quietAt, 1010 + backlogQuietMs);
    sessions.recorded({ retained: false, queued: true }, [], 1250);
    assert.deepEqual(sessions.endBacklog(), { event: 'backlog', count: 1, longestWaitMs: 50 });
  });

  it('live values alone make no backlog', () => {
    const sessions = new SessionContext(persistent);
    sessions.connected(returned(), 1000);
    assert.equal(sessions.recorded({ retained: false, queued: false }, [], 1001), null);
    assert.equal(sessions.quietAt, null);
    assert.equal(sessions.endBacklog(), null);
  });
});
