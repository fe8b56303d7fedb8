/**
 * `demo --nodes FILE`: the fault scenarios on a cluster the demo did not start. The test starts a NATS
 * cluster itself, with its own config and start script (nothing of src/brokers), describes it in such a
 * file whose commands kill, start, pause and resume the test's processes, and runs the demo on it.
 * A bad file is one line on stderr and exit 2; a command that fails says so with its stderr's last line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findNatsServer } from '../../src/brokers/nats.js';
import { commandArgs } from '../../src/cli/package.js';
import { runNodeCommand } from '../../src/demo/nodes-file.js';
import { ChildCommand } from '../../src/demo/processes.js';
import { natsSkip } from '../support/nats.js';
import { waitFor } from '../support/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'mqtt-ps-nodes-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function demo(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [...commandArgs('demo'), ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function writeJson(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

const threeNodes = (extra: Record<string, string> = {}): Array<Record<string, string>> =>
  [1, 2, 3].map((i) => ({ url: `mqtt://127.0.0.1:${1000 + i}`, kill: 'true', start: 'true', ...extra }));

describe('a bad --nodes FILE: one line on stderr, exit 2', () => {
  const cases: Array<[string, () => string, RegExp]> = [
    ['a file that does not exist', () => join(dir, 'absent.json'), /^demo: --nodes .*absent\.json: cannot read it \(ENOENT\)$/],
    ['not JSON', () => writeJson('broken.json', '{"nodes": ['), /^demo: --nodes .*broken\.json: not JSON \(/],
    ['two nodes', () => writeJson('two.json', { nodes: threeNodes().slice(0, 2) }), /nodes: the fault scenarios need 3 nodes or more$/],
    ['a misspelt action', () => writeJson('typo.json', { nodes: threeNodes({ isolte: 'true' }) }), /nodes\[0\]: Unrecognized key: "isolte"$/],
    ['a URL that is not MQTT', () => writeJson('http.json', { nodes: [{ url: 'http://127.0.0.1:80' }, ...threeNodes().slice(1)] }), /nodes\[0\]\.url: give a URL such as mqtt:\/\/host:1883$/],
    ['an empty command', () => writeJson('empty.json', { nodes: threeNodes({ pause: ' ' }) }), /nodes\[0\]\.pause: a command cannot be empty$/],
  ];
  for (const [what, file, pattern] of cases) {
    it(what, () => {
      const result = demo(['--nodes', file()]);
      assert.equal(result.status, 2, result.stderr);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line on stderr, got: ${result.stderr}`);
      assert.match(lines[0]!, pattern);
    });
  }

  it('--nodes FILE with --all, or with a scenario that is not a fault', () => {
    const file = writeJson('ok.json', { nodes: threeNodes() });
    assert.match(demo(['--nodes', file, '--all']).stderr, /^demo: --nodes FILE runs the fault scenarios on your cluster; --all is the article/);
    const persistent = demo(['--nodes', file, '--scenario', 'persistent']);
    assert.equal(persistent.status, 2);
    assert.match(persistent.stderr, /persistent is not one/);
  });
});

describe("a node's command", () => {
  it('that fails is reported with its status and the last line of its stderr', async () => {
    await assert.rejects(runNodeCommand("node 2's kill command", 'echo first >&2; echo "no such container: broker-2" >&2; exit 3'), {
      message: "node 2's kill command failed (status 3): no such container: broker-2",
    });
    await runNodeCommand("node 2's kill command", 'true');
  });
});

/** A free port of 127.0.0.1, found by the test itself. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

function pidOf(node: number): number {
  return Number(readFileSync(join(dir, `node${node}.pid`), 'utf8').trim());
}

/** The process runs and is not stopped (state R or S, not T or Z). */
function awake(pid: number): boolean {
  try {
    return /^\d+ \(.*\) [RSD] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('the fault scenarios on a NATS cluster the test started and describes in a file', { skip: natsSkip() }, () => {
  let nodesFile: string;
  before(async () => {
    const server = findNatsServer()!;
    const ports = [];
    for (let i = 0; i < 3; i++) ports.push({ client: await freePort(), route: await freePort(), mqtt: await freePort() });
    const nodes = [];
    for (const [i, own] of ports.entries()) {
      const node = i + 1;
      const data = join(dir, `data${node}`);
      mkdirSync(data);
      const routes = ports.filter((p) => p !== own).map((p) => `nats-route://127.0.0.1:${p.route}`).join(', ');
      writeFileSync(
        join(dir, `node${node}.conf`),
        [
          `server_name: test-node${node}`,
          `listen: 127.0.0.1:${own.client}`,
          `jetstream { store_dir: "${data}", max_memory_store: 64MB, max_file_store: 1GB }`,
          `cluster { name: test-cluster, listen: 127.0.0.1:${own.route}, routes: [${routes}] }`,
          `mqtt { listen: 127.0.0.1:${own.mqtt}, stream_replicas: 3, ack_wait: "1s" }`,
        ].join('\n'),
      );
      // The start script runs the server in the background and writes its pid, as a service manager would.
      const start = join(dir, `start${node}.sh`);
      writeFileSync(start, `GOMAXPROCS=1 ${server} -c ${dir}/node${node}.conf >> ${dir}/node${node}.log 2>&1 &\necho $! > ${dir}/node${node}.pid\n`);
      const pid = `$(cat ${dir}/node${node}.pid)`;
      nodes.push({ url: `mqtt://127.0.0.1:${own.mqtt}`, kill: `kill -KILL ${pid}`, start: `sh ${start}`, pause: `kill -STOP ${pid}`, resume: `kill -CONT ${pid}` });
      assert.equal(spawnSync('sh', [start]).status, 0);
    }
    nodesFile = writeJson('nodes.json', { nodes });
  });
  after(() => {
    for (const node of [1, 2, 3]) {
      try {
        process.kill(pidOf(node), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('runs them with its commands, marks the partitions n/a for want of an isolate command, and leaves every node running and awake', async () => {
    const run = ChildCommand.demo(['--nodes', nodesFile, '-V', '4']);
    const exit = await run.exitWithin(900_000);
    const output = `${run.stdout}\n${run.stderr}`;
    const verdict = (name: string): string | undefined => new RegExp(`^${name} +(PASS|FAIL|N/A|SKIPPED) `, 'm').exec(run.stdout)?.[1];
    for (const name of ['kill-consumer-node', 'kill-while-away', 'pause-node', 'restart-node']) assert.equal(verdict(name), 'PASS', `${name}:\n${output}`);
    // kill-producer-node ran (its verdict is the checker's, said with its figures).
    assert.match(run.stdout, /^kill-producer-node +(PASS|FAIL) +5000 acknowledged/m, output);
    for (const name of ['partition-consumer-node', 'partition-producer-node']) {
      assert.match(run.stdout, new RegExp(`^${name} +N/A +not applicable: .*nodes\\.json gives no 'isolate' command for every node$`, 'm'), output);
    }
    assert.match(run.stdout, /^disconnect-producer-node +N\/A +not applicable: .*gives no 'disconnect' command/m);
    assert.match(run.stdout, /The nemesis kills node 1 \(its kill command\)\./);
    assert.match(run.stdout, /The nemesis pauses node 1 \(its pause command\)\./);
    assert.equal(exit.code, verdict('kill-producer-node') === 'PASS' ? 0 : 1, output);
    // The demo undoes what the last scenario left: node 2, killed by kill-producer-node, is started again.
    await waitFor('every node running and awake', () => [1, 2, 3].every((node) => existsSync(join(dir, `node${node}.pid`)) && awake(pidOf(node))), { timeoutMs: 5000 });
  });
});
