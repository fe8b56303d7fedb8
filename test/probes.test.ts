/**
 * The probes of a broker against real brokers, each finding read from the packets exchanged: the
 * packets it names are those a packet trace of Mosquitto's own clients shows (docs/clusters.md).
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { startEmbeddedBroker } from '../src/brokers/embedded.js';
import { probeFinding } from '../src/cli/probe-findings.js';
import { firstAnswer } from '../src/core/packet-trace.js';
import { acceptedVersions, sharedVerdict } from '../src/core/probe-facts.js';
import { probeProtocols, probeQos2, probeQueue, probeSessionLifetime } from '../src/demo/probes.js';
import { findScenario } from '../src/demo/scenarios.js';
import { probeSharedSubscription } from '../src/demo/shared-probe.js';
import { mosquittoSkip, TestMosquitto } from './support/mosquitto.js';
import { natsSkip, TestNatsCluster } from './support/nats.js';

const connack = (sessionPresent: boolean) => ({ answer: 'CONNACK', code: 0, sessionPresent, sessionExpiry: null });

describe('the probes on Mosquitto', { skip: mosquittoSkip() }, () => {
  let broker: TestMosquitto;
  before(async () => void (broker = await new TestMosquitto().start()));
  after(() => broker.dispose());

  for (const version of [5, 4] as const) {
    it(`MQTT ${version === 5 ? '5' : '3.1.1'}: a QoS 2 PUBLISH is answered by PUBREC, PUBREL, PUBCOMP, and delivered at QoS 2 through the same four packets`, async () => {
      const qos2 = await probeQos2(broker.url, version);
      assert.deepEqual(qos2.facts.subscribe, { answer: 'SUBACK', code: 2 }, probeFinding(qos2));
      assert.deepEqual(qos2.facts.publish?.steps.map((s) => `${s.type} ${s.direction}`), ['PUBREC received', 'PUBREL sent', 'PUBCOMP received'], probeFinding(qos2));
      assert.deepEqual([qos2.facts.delivered?.qos, qos2.facts.delivered?.steps], [2, ['PUBREC', 'PUBREL', 'PUBCOMP']], probeFinding(qos2));
      assert.equal(
        probeFinding(qos2),
        'SUBSCRIBE QoS 2: SUBACK granted QoS 2; PUBLISH QoS 2 answered by PUBREC, PUBREL sent, PUBCOMP received; delivered as PUBLISH QoS 2 (PUBREC sent, PUBREL received, PUBCOMP sent)',
      );
    });

    it(`MQTT ${version === 5 ? '5' : '3.1.1'}: two members of $share/GROUP/TOPIC split the values between them`, async () => {
      const shared = await probeSharedSubscription(broker.url, version);
      const [a, b] = shared.facts.members.map((m) => m.received);
      assert.deepEqual(shared.facts.members.map((m) => m.subscribe), [{ answer: 'SUBACK', code: 1 }, { answer: 'SUBACK', code: 1 }], probeFinding(shared));
      assert.ok(a!.length > 0 && b!.length > 0, `both members had a share: ${probeFinding(shared)}`);
      assert.deepEqual([...a!, ...b!].sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], `each value once across the group: ${probeFinding(shared)}`);
      assert.equal(sharedVerdict(shared.facts), 'honoured');
      assert.match(probeFinding(shared), /SUBACK granted QoS 1; 10 PUBLISH QoS 1 to the topic reached the members \d+ and \d+, each value once: honoured$/);
    });
  }

  it('MQTT 5: the CONNACK says session present 1 after 3 s away, and 0 once an expiry of 1 s has passed', async () => {
    const lifetime = await probeSessionLifetime(broker.url, 5);
    assert.deepEqual(lifetime.facts.long.made, connack(false), 'Mosquitto announces no session expiry: the one asked holds');
    assert.deepEqual(lifetime.facts.long.back, connack(true), probeFinding(lifetime));
    assert.deepEqual(lifetime.facts.short?.back, connack(false), probeFinding(lifetime));
    assert.match(probeFinding(lifetime), /CONNACK without a session expiry .*; back after 3 s: CONNACK session present 1; asked 1 s, back after 3 s: CONNACK session present 0: honoured/);
  });

  it('a backlog of 500: 500 PUBACKs, then CONNACK session present 1 and 500 PUBLISH on return', async () => {
    const queue = await probeQueue(broker.url, 5, 500);
    assert.deepEqual(queue.facts.round.answered, { PUBACK: 500 }, probeFinding(queue));
    assert.deepEqual(queue.facts.round.back, connack(true), probeFinding(queue));
    assert.deepEqual([queue.facts.round.received, queue.facts.round.missing], [500, []], probeFinding(queue));
    assert.match(probeFinding(queue), /^500 PUBLISH QoS 1 sent while away \(500 PUBACK\); back: CONNACK session present 1, 500 of 500 received as PUBLISH: no limit met at 500$/);
  });
});

describe('the probes on one NATS node', { skip: natsSkip() }, () => {
  let nats: TestNatsCluster;
  before(async () => void (nats = await new TestNatsCluster({ size: 1 }).start()));
  after(() => nats.dispose());

  it('answers an MQTT 5 CONNECT with a CONNACK of return code 1, an MQTT 3.1.1 one with 0', async () => {
    const protocols = await probeProtocols(nats.urls[0]!);
    assert.deepEqual(protocols.facts.attempts.map((a) => a.answer.answer === 'CONNACK' && a.answer.code), [1, 0], probeFinding(protocols));
    assert.deepEqual(acceptedVersions(protocols.facts), [4]);
  });

  it('grants QoS 1 for QoS 2, and closes the connection on a QoS 2 PUBLISH without answering it', async () => {
    const qos2 = await probeQos2(nats.urls[0]!, 4);
    assert.deepEqual(qos2.facts.subscribe, { answer: 'SUBACK', code: 1 }, probeFinding(qos2));
    assert.deepEqual(qos2.facts.publish, { qos: 2, steps: [], closed: true }, probeFinding(qos2));
    assert.equal(qos2.facts.delivered, null, probeFinding(qos2));
    assert.match(probeFinding(qos2), /SUBACK granted QoS 1; PUBLISH QoS 2 answered by nothing: the broker closed the connection; no PUBLISH delivered/);
  });

  it('takes $share/GROUP/TOPIC as a plain topic name: granted, nothing published to TOPIC arrives, a PUBLISH to the name itself does', async () => {
    const shared = await probeSharedSubscription(nats.urls[0]!, 4);
    assert.deepEqual(shared.facts.members.map((m) => [m.subscribe, m.received.length, m.literal]), [[{ answer: 'SUBACK', code: 1 }, 0, true], [{ answer: 'SUBACK', code: 1 }, 0, true]], probeFinding(shared));
    assert.equal(sharedVerdict(shared.facts), 'plain topic name');
  });

  it('MQTT 3.1.1: the CONNACK says session present 1 after 3 s away', async () => {
    const lifetime = await probeSessionLifetime(nats.urls[0]!, 4);
    assert.deepEqual(lifetime.facts.long.back, connack(true), probeFinding(lifetime));
    assert.equal(probeFinding(lifetime), 'MQTT 3.1.1, back after 3 s: CONNACK session present 1 (longer not waited)');
  });
});

describe('the probes on the embedded broker (Aedes)', () => {
  it('refuses $share/GROUP/TOPIC in MQTT 5 with SUBACK reason code 0x9E, and the group scenario is not applicable there', async () => {
    const broker = await startEmbeddedBroker(0);
    try {
      const shared = await probeSharedSubscription(broker.url, 5);
      assert.deepEqual(shared.facts.members.map((m) => m.subscribe), [{ answer: 'SUBACK', code: 0x9e }, { answer: 'SUBACK', code: 0x9e }], probeFinding(shared));
      assert.equal(probeFinding(shared), 'SUBSCRIBE $share/GROUP/TOPIC by two members: SUBACK reason code 0x9E (shared subscriptions not supported): refused');
      const qos2 = await probeQos2(broker.url, 5);
      assert.equal(firstAnswer(qos2.facts.publish!), 'PUBREC', probeFinding(qos2));
      const lines: string[] = [];
      const group = await findScenario('group')!.run({ url: broker.url, intervalMs: 100, dir: tmpdir(), tag: `group-${Date.now().toString(36)}`, say: (line) => lines.push(line), protocolVersion: 5 });
      assert.equal(group.verdict, 'N/A', lines.join('\n'));
      assert.match(group.observed, /^not applicable: the broker does not share a subscription \(.*SUBACK reason code 0x9E \(shared subscriptions not supported\): refused\)$/);
    } finally {
      await broker.close();
    }
  });
});
