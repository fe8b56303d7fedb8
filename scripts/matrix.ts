/**
 * The matrix: every demo scenario against every kind of broker the project can start, and two probes
 * of the broker itself (QoS 2, the queue for an offline session). The stories go to stderr, the table
 * (Markdown) to stdout: `npm run -s matrix > matrix.md`.
 */
import { connectAsync, type IClientOptions } from 'mqtt';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDemoRun, notApplicable, startDemoBroker, type BrokerKind, type ScenarioResult } from '../src/demo/run.js';
import { clusterScenarios, scenarios } from '../src/demo/scenarios.js';
import type { Outcome } from '../src/demo/story.js';

interface Column {
  title: string;
  kind: BrokerKind;
  protocolVersion: 4 | 5;
}

const columns: Column[] = [
  { title: 'embedded (MQTT 5)', kind: 'embedded', protocolVersion: 5 },
  { title: 'Mosquitto (MQTT 5)', kind: 'mosquitto', protocolVersion: 5 },
  { title: 'Mosquitto (3.1.1)', kind: 'mosquitto', protocolVersion: 4 },
  { title: 'NATS, one node (3.1.1)', kind: 'nats', protocolVersion: 4 },
  { title: 'NATS, 3 nodes (3.1.1)', kind: 'nats-cluster', protocolVersion: 4 },
];

const queueProbeValues = 5000;

/** QoS 2: what a QoS 2 subscription is granted, and what becomes of a QoS 2 publish. */
async function probeQos2(url: string, protocolVersion: 4 | 5): Promise<string> {
  const options: IClientOptions = { protocolVersion, reconnectPeriod: 0, connectTimeout: 5000 };
  const topic = `matrix/qos2/${Date.now()}`;
  const subscriber = await connectAsync(url, { ...options, clientId: `matrix-qos2-sub-${Date.now()}` }, false);
  const received: number[] = [];
  subscriber.on('message', (_topic, _payload, packet) => received.push(packet.qos));
  let granted: string;
  try {
    const answer = await subscriber.subscribeAsync(topic, { qos: 2 });
    granted = `granted QoS ${String(answer[0]?.qos)}`;
  } catch (error) {
    granted = `subscription refused (${(error as Error).message})`;
  }
  let publish: string;
  const publisher = await connectAsync(url, { ...options, clientId: `matrix-qos2-pub-${Date.now()}` }, false);
  const closed = new Promise<string>((resolve) => publisher.once('close', () => resolve('the broker closed the connection')));
  try {
    publish = await Promise.race([publisher.publishAsync(topic, '1', { qos: 2 }).then(() => 'a QoS 2 publish completed (PUBREC, PUBCOMP)'), closed, sleep(5000).then(() => 'no answer to a QoS 2 publish within 5 s')]);
  } catch (error) {
    publish = `a QoS 2 publish failed (${(error as Error).message})`;
  }
  await sleep(500);
  publisher.end(true);
  subscriber.end(true);
  const delivery = received.length > 0 ? `, delivered at QoS ${received[0]}` : ', nothing delivered';
  return `${granted}; ${publish}${delivery}`;
}

/** The queue: an offline persistent session, QoS 1 values published meanwhile, how many come back. */
async function probeQueue(url: string, protocolVersion: 4 | 5): Promise<string> {
  const clientId = `matrix-queue-${Date.now()}`;
  const topic = `matrix/queue/${Date.now()}`;
  const session: IClientOptions = { protocolVersion, clientId, clean: false, reconnectPeriod: 0, connectTimeout: 5000, ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 600 } } : {}) };
  const away = await connectAsync(url, session, false);
  await away.subscribeAsync(topic, { qos: 1 });
  await away.endAsync();
  const publisher = await connectAsync(url, { protocolVersion, reconnectPeriod: 0 }, false);
  for (let value = 1; value <= queueProbeValues; value++) await publisher.publishAsync(topic, String(value), { qos: 1 });
  await publisher.endAsync();
  const seen = new Set<number>();
  let last = Date.now();
  const back = await connectAsync(url, session, false);
  back.on('message', (_topic, payload) => {
    seen.add(Number(payload.toString()));
    last = Date.now();
  });
  while (Date.now() - last < 2000 && seen.size < queueProbeValues) await sleep(200);
  back.end(true);
  return `${seen.size} of ${queueProbeValues} queued values delivered on return`;
}

const cell = (outcome: Outcome): string => (outcome.verdict === 'N/A' ? 'n/a' : outcome.verdict);

const results = new Map<string, Map<string, Outcome>>();
const probes = new Map<string, { qos2: string; queue: string }>();
const out = (line = ''): void => void process.stderr.write(`${line}\n`);
for (const column of columns) {
  out(`\n##### ${column.title}`);
  const broker = await startDemoBroker(column.kind, undefined, column.protocolVersion);
  const demo = createDemoRun(broker, out);
  try {
    const chosen = [...scenarios, ...clusterScenarios];
    const runnable = chosen.filter((scenario) => notApplicable(scenario, broker.target, true) === undefined);
    const ran: ScenarioResult[] = await demo.run(runnable, 100);
    const column_ = new Map<string, Outcome>();
    for (const scenario of chosen) {
      const reason = notApplicable(scenario, broker.target, true);
      column_.set(scenario.name, reason ? { verdict: 'N/A', observed: reason, facts: {} } : ran.find((r) => r.scenario === scenario)!.outcome);
    }
    results.set(column.title, column_);
    const url = broker.url.split(',')[0]!;
    probes.set(column.title, { qos2: await probeQos2(url, column.protocolVersion).catch((e: Error) => `probe failed: ${e.message}`), queue: await probeQueue(url, column.protocolVersion).catch((e: Error) => `probe failed: ${e.message}`) });
  } finally {
    await demo.stop();
  }
}

const lines: string[] = [];
lines.push(`| scenario | ${columns.map((c) => c.title).join(' | ')} |`, `|---|${columns.map(() => '---').join('|')}|`);
for (const scenario of [...scenarios, ...clusterScenarios]) {
  lines.push(`| \`${scenario.name}\` | ${columns.map((c) => cell(results.get(c.title)!.get(scenario.name)!)).join(' | ')} |`);
}
lines.push(`| QoS 2 probe | ${columns.map((c) => probes.get(c.title)!.qos2).join(' | ')} |`);
lines.push(`| queue probe (${queueProbeValues} values) | ${columns.map((c) => probes.get(c.title)!.queue).join(' | ')} |`);
lines.push('', 'Not applicable, and failures:', '');
const reasons = new Map<string, string[]>();
for (const column of columns) {
  for (const [name, outcome] of results.get(column.title)!) {
    if (outcome.verdict === 'PASS') continue;
    const key = `\`${name}\` ${outcome.verdict === 'N/A' ? 'n/a' : outcome.verdict}: ${outcome.observed}`;
    reasons.set(key, [...(reasons.get(key) ?? []), column.title]);
  }
}
for (const [reason, where] of reasons) lines.push(`- ${reason} (${where.join(', ')})`);
process.stdout.write(`${lines.join('\n')}\n`);
