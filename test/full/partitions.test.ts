/**
 * Partitions in real network namespaces (root only): links cut and healed between namespaces and the
 * clients, the partition scenarios on real NATS, RabbitMQ and ejabberd clusters whose nodes each run in a
 * namespace of their own, and nothing left behind after a run, after an interrupted run, and after a killed run (found
 * and removed at the next start).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { controlOf, type BrokerCluster } from '../../src/brokers/cluster.js';
import { EjabberdCluster } from '../../src/brokers/ejabberd.js';
import { NatsCluster } from '../../src/brokers/nats.js';
import { RabbitCluster } from '../../src/brokers/rabbitmq.js';
import { privateNetworkMissing, PrivateNetwork, removeLeftovers } from '../../src/brokers/private-network.js';
import { commandArgs } from '../../src/cli/package.js';
import { ChildCommand } from '../../src/demo/processes.js';
import { clusterScenarios } from '../../src/demo/scenarios.js';
import type { Outcome } from '../../src/demo/story.js';
import { ejabberdSkip, rabbitmqSkip } from '../support/erlang.js';
import { natsSkip } from '../support/nats.js';
import { waitFor } from '../support/wait.js';

/** Why these tests cannot run here; under CI, a machine without root fails instead. */
function rootSkip(): string | false {
  const missing = privateNetworkMissing();
  if (!missing) return false;
  if (process.env.CI) throw new Error(`${missing}; under CI that is a failure`);
  return missing;
}

/** Every namespace and bridge on the machine. */
function networkNames(): string[] {
  const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((line) => line.split(' ')[0]!);
  const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout.split('\n').map((line) => /^\d+: ([^:@]+)/.exec(line)?.[1] ?? '');
  return [...namespaces, ...links].filter(Boolean);
}

/** Whether a TCP connection to host:port succeeds from a namespace (or from this one), within 2 s. */
function connects(namespace: string | undefined, host: string, port: number): boolean {
  const script = `const s=require('net').connect(${port},'${host}',()=>process.exit(0));s.on('error',()=>process.exit(1));setTimeout(()=>process.exit(2),2000);`;
  const command = namespace ? ['ip', 'netns', 'exec', namespace, process.execPath, '-e', script] : [process.execPath, '-e', script];
  return spawnSync(command[0]!, command.slice(1), { timeout: 10_000 }).status === 0;
}

describe('a private network of namespaces', { skip: rootSkip() }, () => {
  it('cuts a node off from the others both ways, then from the clients too, and heals; removes everything when disposed', async () => {
    const network = await PrivateNetwork.create(3);
    const servers: Array<ReturnType<typeof spawn>> = [];
    try {
      for (const name of network.names) assert.ok(networkNames().includes(name), `${name} exists`);
      for (const index of [1, 2]) {
        const script = `require('net').createServer((s)=>s.end()).listen(7000,'${network.address(index)}',()=>console.log('listening'))`;
        const server = spawn('ip', ['netns', 'exec', network.namespace(index), process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
        servers.push(server);
        await new Promise((resolve) => server.stdout!.once('data', resolve));
      }
      const [one, two] = [network.address(1), network.address(2)];
      assert.equal(connects(network.namespace(1), two, 7000), true, 'node 1 reaches node 2');
      assert.equal(connects(undefined, two, 7000), true, 'the clients reach node 2');

      await network.cut(2, false);
      assert.equal(connects(network.namespace(1), two, 7000), false, 'node 1 no longer reaches node 2');
      assert.equal(connects(network.namespace(2), one, 7000), false, 'nor node 2 node 1');
      assert.equal(connects(undefined, two, 7000), true, 'the clients still reach node 2');
      assert.equal(connects(network.namespace(3), one, 7000), true, 'node 3 still reaches node 1');

      await network.cut(2, true);
      assert.equal(connects(undefined, two, 7000), false, 'cut from the clients too');

      await network.heal(2);
      assert.equal(connects(network.namespace(1), two, 7000), true, 'healed: node 1 reaches node 2 again');
      assert.equal(connects(undefined, two, 7000), true, 'and the clients do');
    } finally {
      for (const server of servers) server.kill('SIGKILL');
      await network.dispose();
    }
    const left = networkNames();
    assert.deepEqual(network.names.filter((name) => left.includes(name)), [], 'no namespace or bridge left');
  });
});

/**
 * What each partition story must have observed: the cut happened mid-stream, lasted, every value was
 * acknowledged and none lost; or, where the broker is known to lose acknowledged values and to stop
 * acknowledging for minutes (brokersMisbehave), what went wrong told as it is: a FAIL, the values never
 * acknowledged said so, and what the final read still lacked exactly what the checker calls lost.
 */
function assertPartition(name: string, outcome: Outcome, brokersMisbehave: boolean): void {
  const { facts } = outcome;
  if (brokersMisbehave && (facts.lostValues !== '' || facts.acknowledged !== 3000)) {
    assert.equal(outcome.verdict, 'FAIL', `${name}: a loss, or values never acknowledged, is a FAIL`);
    assert.equal(facts.everyValueAcknowledged, facts.acknowledged === 3000, `${name}: whether every value was acknowledged is said`);
    const unread = ((facts.missingBeforeFinalRead as number | undefined) ?? 0) - ((facts.recoveredByFinalRead as number | undefined) ?? 0);
    assert.equal(unread, facts.lost, `${name}: the final read still lacked what the checker calls lost`);
  } else {
    assert.equal(facts.acknowledged, 3000, `${name}: every value acknowledged in the end`);
    assert.equal(facts.lostValues, '', `${name}: no acknowledged value lost`);
  }
  assert.ok((facts.sentBeforeCut as number) < 3000, `${name}: the cut came while the producer published`);
  assert.ok((facts.partitionMs as number) >= 10_000, `${name}: the cut lasted 10 s`);
  assert.ok(facts.failoverMs !== null, `${name}: values published after the cut arrived`);
}

/**
 * Runs the partition scenarios (those named in only, or all three) on one cluster that start() gives,
 * each checked by what it observed.
 */
function partitionSuite(
  title: string,
  skip: string | false,
  start: () => Promise<BrokerCluster>,
  options: { only?: string[]; protocolVersion?: 4 | 5; lossOf?: string[] } = {},
): void {
  describe(title, { skip }, () => {
    let cluster: BrokerCluster | undefined;
    const dir = mkdtempSync(join(tmpdir(), 'mqtt-ps-partitions-'));
    after(async () => {
      await ChildCommand.killAll();
      await cluster?.dispose();
      rmSync(dir, { recursive: true, force: true });
    });
    for (const scenario of partitions.filter((one) => !options.only || options.only.includes(one.name))) {
      it(`${scenario.name}: ${scenario.title}`, async () => {
        cluster ??= await start();
        assert.ok(cluster.links, 'its links can be cut');
        const lines: string[] = [];
        const outcome = await scenario.run({ url: cluster.urls.join(','), intervalMs: 100, dir, tag: `${scenario.name}-${Date.now().toString(36)}`, say: (line) => lines.push(line), cluster: controlOf(cluster), protocolVersion: options.protocolVersion ?? 4 });
        const story = `${outcome.observed}\n${lines.join('\n')}\n${JSON.stringify(outcome.facts)}`;
        try {
          assertPartition(scenario.name, outcome, options.lossOf?.includes(scenario.name) ?? false);
          if (scenario.name === 'disconnect-producer-node') assert.ok((outcome.facts.producerReconnections as number) >= 1, 'the producer left the unplugged node');
        } catch (error) {
          (error as Error).message += `\n${story}`;
          throw error;
        }
      });
    }
  });
}

const partitions = clusterScenarios.filter((scenario) => scenario.needsActions?.some((action) => action === 'isolate' || action === 'disconnect'));

it('the partition scenarios are these three', () => {
  assert.deepEqual(partitions.map((scenario) => scenario.name), ['partition-consumer-node', 'partition-producer-node', 'disconnect-producer-node']);
});

// In some runs NATS 2.9.10 never sends a session some of the values it acknowledged, an independent
// client's session as well as the consumer's (seen on the wire), or acknowledges nothing for minutes
// after the heal (docs/partitions.md): what it did must be told.
partitionSuite('the partition scenarios on a NATS cluster in network namespaces', rootSkip() || natsSkip(), () => new NatsCluster({ size: 3, partitionable: true }).start(), {
  lossOf: ['partition-consumer-node', 'partition-producer-node', 'disconnect-producer-node'],
});
partitionSuite('the partition scenarios on a RabbitMQ cluster (quorum queues) in network namespaces', rootSkip() || rabbitmqSkip(), () =>
  new RabbitCluster({ size: 3, queueType: 'quorum', partitionable: true }).start(),
);
// One scenario: a mirrored cluster takes about 40 s to start, each scenario about as long.
partitionSuite(
  'a partition scenario on a RabbitMQ cluster (mirrored classic queues) in network namespaces',
  rootSkip() || rabbitmqSkip(),
  () => new RabbitCluster({ size: 3, queueType: 'mirrored', partitionable: true }).start(),
  { only: ['partition-producer-node'] },
);
partitionSuite('the partition scenarios on an ejabberd cluster in network namespaces', rootSkip() || ejabberdSkip(), () => new EjabberdCluster({ size: 3, partitionable: true }).start(), {
  protocolVersion: 5,
});

describe('without root', { skip: rootSkip() || natsSkip() || (spawnSync('setpriv', ['--version']).status !== 0 && 'setpriv is not installed') }, () => {
  it('the partition scenarios are n/a with the reason, on a cluster started on 127.0.0.1', () => {
    const demo = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...commandArgs('demo'), '--scenario', 'partition-consumer-node'], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', HOME: tmpdir() },
      timeout: 120_000,
    });
    assert.equal(demo.status, 0, demo.stderr);
    assert.match(demo.stdout, /^Cluster: node 1 mqtt:\/\/127\.0\.0\.1:/m);
    assert.match(demo.stdout, /^Observed: not applicable: cutting links puts each node in a network namespace, which needs root\nN\/A$/m);
  });
});

describe('nothing left behind by the demo', { skip: rootSkip() || natsSkip() }, () => {
  /** The namespaces and bridges named after this pid. */
  const owned = (pid: number): string[] => networkNames().filter((name) => name.startsWith(`mqps-${pid}-`) || new RegExp(`^mqps${pid}n\\d+$`).test(name));

  it('an interrupted run (SIGTERM) removes its namespaces and bridge before it exits', async () => {
    const demo = ChildCommand.demo(['--scenario', 'partition-consumer-node']);
    await demo.waitUntil('the cluster', () => demo.stdout.includes('Cluster: node 1 mqtt://10.213.'), 60_000);
    const pid = demo.child.pid!;
    assert.equal(owned(pid).length, 4, `three namespaces and a bridge: ${owned(pid).join(', ')}`);
    demo.child.kill('SIGTERM');
    const exit = await demo.exitWithin(60_000);
    assert.equal(exit.code, 130, demo.stderr);
    assert.deepEqual(owned(pid), []);
  });

  it("a killed run's namespaces, bridge and brokers are found and removed at the next start", async () => {
    const demo = ChildCommand.demo(['--scenario', 'partition-consumer-node']);
    await demo.waitUntil('the cluster', () => demo.stdout.includes('Cluster: node 1 mqtt://10.213.'), 60_000);
    const pid = demo.child.pid!;
    const namespaces = owned(pid).filter((name) => name.startsWith('mqps-'));
    const brokers = namespaces.flatMap((name) => spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number));
    assert.equal(brokers.length, 3, 'a nats-server in each namespace');
    demo.child.kill('SIGKILL');
    await demo.exitWithin(10_000);
    assert.equal(owned(pid).length, 4, 'a killed run leaves its namespaces and bridge');
    assert.ok(brokers.every((broker) => existsSync(`/proc/${broker}`)), 'and its brokers running');
    const removed = removeLeftovers();
    assert.deepEqual(removed.filter((name) => name.includes(String(pid))).sort(), [...namespaces, `mqps${pid}n0`].sort());
    assert.deepEqual(owned(pid), []);
    await waitFor('the brokers of the killed run to end', () => brokers.every((broker) => !existsSync(`/proc/${broker}`) || zombie(broker)));
  });
});

/** A process that ended and waits for its parent to read its status. */
function zombie(pid: number): boolean {
  try {
    return / Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}
