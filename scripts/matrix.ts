/**
 * The matrix: every demo scenario against every kind of broker the project can start, and four probes
 * of the broker itself (QoS 2, the session lifetime, a backlog of 10,000 for an offline session, shared
 * subscriptions), the same as the report card's, each finding read from the packets exchanged. The stories go to stderr, the table (Markdown) to stdout:
 * `npm run -s matrix > matrix.md`; `npm run -s matrix -- rabbitmq ejabberd` runs only the columns
 * whose broker kind starts with one of the words; `-- --html matrix.html` also writes a page of the
 * table, each cell linked to its run drawn from its history.
 */
import { probeFinding } from '../src/cli/probe-findings.js';
import type { ProbeResult } from '../src/core/probe-facts.js';
import { probeQos2, probeQueue, probeSessionLifetime } from '../src/demo/probes.js';
import { probeSharedSubscription } from '../src/demo/shared-probe.js';
import type { BrokerKind } from '../src/brokers/catalogue.js';
import { writeMatrixPage, type MatrixColumn } from '../src/demo/page.js';
import { createDemoRun, notApplicable, startDemoBroker, type ScenarioResult } from '../src/demo/run.js';
import { clusterScenarios, scenarios } from '../src/demo/scenarios.js';
import type { Outcome } from '../src/demo/story.js';

interface Column {
  title: string;
  kind: BrokerKind;
  nodes: number;
  protocolVersion: 4 | 5;
}

const allColumns: Column[] = [
  { title: 'embedded (MQTT 5)', kind: 'embedded', nodes: 1, protocolVersion: 5 },
  { title: 'Mosquitto (MQTT 5)', kind: 'mosquitto', nodes: 1, protocolVersion: 5 },
  { title: 'Mosquitto (3.1.1)', kind: 'mosquitto', nodes: 1, protocolVersion: 4 },
  { title: 'NATS, one node (3.1.1)', kind: 'nats', nodes: 1, protocolVersion: 4 },
  { title: 'NATS, 3 nodes (3.1.1)', kind: 'nats', nodes: 3, protocolVersion: 4 },
  { title: 'RabbitMQ, one node (3.1.1)', kind: 'rabbitmq', nodes: 1, protocolVersion: 4 },
  { title: 'RabbitMQ, 3 nodes, classic queues (3.1.1)', kind: 'rabbitmq', nodes: 3, protocolVersion: 4 },
  { title: 'RabbitMQ, 3 nodes, mirrored classic queues (3.1.1)', kind: 'rabbitmq-mirrored', nodes: 3, protocolVersion: 4 },
  { title: 'RabbitMQ, 3 nodes, quorum queues (3.1.1)', kind: 'rabbitmq-quorum', nodes: 3, protocolVersion: 4 },
  { title: 'ejabberd, one node (MQTT 5)', kind: 'ejabberd', nodes: 1, protocolVersion: 5 },
  { title: 'ejabberd, one node (3.1.1)', kind: 'ejabberd', nodes: 1, protocolVersion: 4 },
  { title: 'ejabberd, 3 nodes (MQTT 5)', kind: 'ejabberd', nodes: 3, protocolVersion: 5 },
];
const words = process.argv.slice(2);
const htmlAt = words.indexOf('--html');
const htmlFile = htmlAt === -1 ? undefined : words[htmlAt + 1];
if (htmlAt !== -1 && (htmlFile === undefined || htmlFile.startsWith('-'))) {
  process.stderr.write('matrix: --html needs the file to write the page to\n');
  process.exit(2);
}
const only = htmlAt === -1 ? words : words.filter((_, i) => i !== htmlAt && i !== htmlAt + 1);
const chosenColumns = only.length === 0 ? allColumns : allColumns.filter((column) => only.some((word) => column.kind.startsWith(word)));

const cell = (outcome: Outcome): string => (outcome.verdict === 'N/A' ? 'n/a' : outcome.verdict);

const results = new Map<string, Map<string, Outcome>>();
const runs = new Map<string, ScenarioResult[]>();
const probes = new Map<string, { qos2: string; lifetime: string; queue: string; shared: string }>();
const columns = chosenColumns;
const out = (line = ''): void => void process.stderr.write(`${line}\n`);
for (const column of columns) {
  out(`\n##### ${column.title}`);
  let broker: Awaited<ReturnType<typeof startDemoBroker>>;
  try {
    // A cluster's nodes each in a network namespace (as root), so that the partition rows run on it too.
    broker = await startDemoBroker(column.kind, column.nodes, undefined, column.protocolVersion, column.nodes >= 3);
  } catch (error) {
    // A broker that cannot start is a column of that fact, not the end of the other columns.
    const why: Outcome = { verdict: 'FAIL', observed: `the broker did not start: ${(error as Error).message.split('\n')[0]}`, facts: {} };
    results.set(column.title, new Map([...scenarios, ...clusterScenarios].map((scenario) => [scenario.name, why])));
    probes.set(column.title, { qos2: why.observed, lifetime: why.observed, queue: why.observed, shared: why.observed });
    continue;
  }
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
    runs.set(column.title, ran);
    // The fault scenarios may leave a cluster electing leaders: the probes measure it settled.
    await broker.cluster?.waitUntilReady(60_000).catch(() => {});
    const url = broker.url.split(',')[0]!;
    const finding = (name: string, probe: Promise<ProbeResult>): Promise<string> =>
      probe.then(probeFinding, (e: Error) => probeFinding({ probe: 'failed', facts: { name, error: e.message } }));
    probes.set(column.title, {
      qos2: await finding('QoS 2', probeQos2(url, column.protocolVersion)),
      lifetime: await finding('session lifetime', probeSessionLifetime(url, column.protocolVersion)),
      queue: await finding('backlog', probeQueue(url, column.protocolVersion)),
      shared: await finding('shared subscription', probeSharedSubscription(url, column.protocolVersion)),
    });
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
lines.push(`| session lifetime probe | ${columns.map((c) => probes.get(c.title)!.lifetime).join(' | ')} |`);
lines.push(`| backlog probe (10,000 values) | ${columns.map((c) => probes.get(c.title)!.queue).join(' | ')} |`);
lines.push(`| shared subscription probe | ${columns.map((c) => probes.get(c.title)!.shared).join(' | ')} |`);
lines.push('', 'Not applicable, and failures:', '');
const reasons = new Map<string, string[]>();
for (const column of columns) {
  for (const [name, outcome] of results.get(column.title)!) {
    if (outcome.verdict === 'PASS') continue;
    // A scenario that found itself not applicable says so in its own words: "n/a" already does.
    const key = `\`${name}\` ${outcome.verdict === 'N/A' ? 'n/a' : outcome.verdict}: ${outcome.observed.replace(/^not applicable: /, '')}`;
    reasons.set(key, [...(reasons.get(key) ?? []), column.title]);
  }
}
for (const [reason, where] of reasons) lines.push(`- ${reason} (${where.join(', ')})`);
lines.push('', `Run on ${new Date().toISOString().slice(0, 10)}: npm run -s matrix${only.length > 0 ? ` -- ${only.join(' ')}` : ''}`);
process.stdout.write(`${lines.join('\n')}\n`);
if (htmlFile) {
  const pageColumns: MatrixColumn[] = columns.map((column) => ({
    title: column.title,
    verdicts: new Map([...results.get(column.title)!].map(([name, outcome]) => [name, outcome.verdict])),
    ran: runs.get(column.title) ?? [],
  }));
  writeMatrixPage(htmlFile, [...scenarios, ...clusterScenarios].map((scenario) => scenario.name), pageColumns, `npm run -s matrix -- ${words.join(' ')}`);
}
