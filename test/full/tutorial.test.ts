/**
 * The tutorial's own commands, as a person types them: npm run in the project folder, Ctrl+C to the
 * whole process group, a pipe into head, the examples of --help, against a private Mosquitto.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { freePort, portTaken } from '../../src/brokers/ports.js';
import { packageRoot } from '../../src/cli/package.js';
import { CliProcess, messageValues } from '../support/cli.js';
import { mosquittoSkip, withMosquitto } from '../support/mosquitto.js';
import { natsSkip } from '../support/nats.js';
import { waitFor } from '../support/wait.js';

interface Run {
  stdout: string;
  stderr: string;
  /** The exit status the shell would show: 128 + the signal's number when one ended it. */
  status: number;
}

/** A command line run by bash in its own process group, as a terminal runs it; Ctrl+C once its output satisfies interruptWhen. */
function shell(command: string, env: Record<string, string>, options: { interruptWhen?: (stdout: string) => boolean; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { cwd: packageRoot, detached: true, env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    const interrupt = (): void => {
      if (interrupted) return;
      interrupted = true;
      process.kill(-child.pid!, 'SIGINT');
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (options.interruptWhen?.(stdout)) interrupt();
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const killTimer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`still running after ${options.timeoutMs ?? 30_000} ms: ${command}\n${stdout.slice(-2000)}\n${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on('close', (code, signal) => {
      clearTimeout(killTimer);
      resolve({ stdout, stderr, status: code ?? 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGKILL' ? 9 : 15) });
    });
  });
}

/** Publishes 1..count at QoS 1 and waits until the broker has acknowledged every one. */
async function publish(url: string, topic: string, count: number): Promise<void> {
  const producer = CliProcess.producer(['--url', url, '-t', topic, '--interval', '0', '-C', String(count), '--json']);
  assert.equal((await producer.exitWithin(120_000)).code, 0, producer.stderr);
}

describe('the tutorial commands through npm run', { skip: mosquittoSkip() }, () => {
  const mosquitto = withMosquitto('mqtt-ps-npm-');
  let env: Record<string, string>;
  before(() => {
    env = { MQTT_URL: mosquitto.broker.url, XDG_STATE_HOME: mosquitto.dir };
  });

  /** A session with count values waiting in the broker for the client id. */
  async function backlog(id: string, topic: string, count: number): Promise<void> {
    const join = await shell(`npm run -s consumer -- --id ${id} -t ${topic} -C 1 --connect-timeout 5`, env, { interruptWhen: (out) => out.includes('Subscribed') });
    assert.ok([0, 130].includes(join.status), join.stderr);
    await publish(mosquitto.broker.url, topic, count);
  }

  it('Ctrl+C in the middle of a large backlog prints the summary, and the checkpoint counts what was shown', async () => {
    await backlog('drain', 'drain', 300_000);
    const run = await shell('npm run consumer -- --id drain -t drain', env, { interruptWhen: (out) => /Received message: 1000\b/.test(out), timeoutMs: 90_000 });
    const received = run.stdout.split('\n').filter((line) => line.startsWith('Received message: ')).length;
    assert.ok(received >= 1000 && received < 300_000, `interrupted mid-drain after ${received} values`);
    const summary = run.stdout.split('\n').find((line) => line.startsWith('Summary: '));
    assert.ok(summary, `a summary at the end:\n${run.stdout.slice(-500)}`);
    assert.match(summary, /, 0 missing,/);
    assert.equal(run.stderr.trim(), '', 'nothing on stderr');
    assert.equal(run.status, 130, "npm itself ends with 130 on Ctrl+C, whatever the command's status");
    // The rest stays in the session: the next start continues right after the last value shown.
    const next = await shell('npm run -s consumer -- --id drain -t drain -C 10 --json', env);
    assert.equal(next.status, 0, next.stderr);
    const values = next.stdout.split('\n').filter((line) => line.includes('"event":"message"')).map((line) => (JSON.parse(line) as { value: number }).value);
    // Every acknowledgement reached the broker before the link closed: nothing shown comes again.
    assert.equal(values[0], received + 1, 'the next run starts right after the last value the interrupted one showed');
    assert.ok(!next.stdout.includes('"event":"gap"'), 'no gap on the next run');
  });

  it('-C stops after that many messages with a backlog waiting, exits 0 at once, and leaves the rest in the session', async () => {
    await backlog('counted', 'counted', 100);
    const started = Date.now();
    const run = await shell('npm run -s consumer -- --id counted -t counted -C 5 --json', env, { timeoutMs: 15_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    const events = run.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { event: string; value?: number; leftInSession?: number; received?: number });
    assert.deepEqual(events.filter((e) => e.event === 'message').map((e) => e.value), [1, 2, 3, 4, 5]);
    const summary = events.find((e) => e.event === 'summary')!;
    assert.equal(summary.received, 5);
    assert.ok((summary.leftInSession ?? 0) > 0, 'the summary says that more were waiting');
    const rest = CliProcess.consumer(['--url', mosquitto.broker.url, '--id', 'counted', '-t', 'counted', '--state', join(mosquitto.dir, 'mqtt-persistent-sessions', 'counted.json'), '-C', '95', '--json']);
    assert.equal((await rest.exitWithin(15_000)).code, 0, rest.stderr);
    assert.deepEqual(messageValues(rest.events), Array.from({ length: 95 }, (_, i) => i + 6), 'the next run gets 6..100, each once');
  });

  it('a reader that stops early (| head) ends the consumer quietly, with status 0 and its checkpoint safe', async () => {
    await backlog('piped', 'piped', 1000);
    const run = await shell('set -o pipefail; npm run -s consumer -- --id piped -t piped | head -3; echo "status $?"', env, { timeoutMs: 15_000 });
    assert.equal(run.stdout.trim().split('\n').length, 4, run.stdout);
    assert.match(run.stdout, /status 0\n$/, 'the whole pipeline, the consumer included, ends with status 0');
    assert.equal(run.stderr, '', 'no EPIPE, no error');
    const state = readdirSync(join(mosquitto.dir, 'mqtt-persistent-sessions')).filter((name) => name.startsWith('piped'));
    assert.deepEqual(state, ['piped.json'], 'the checkpoint, and no lock or temporary file left behind');
  });

  it("the broker's hints name the command as it was started: npm run in the project, the bundle when run with node", async () => {
    for (const [command, hint] of [
      ['npm run broker -- --port PORT', 'npm run broker -- --broker embedded'],
      ['node dist/bin/broker.js --port PORT', 'node dist/bin/broker.js --broker embedded'],
    ] as const) {
      const port = await freePort();
      const run = await shell(command.replace('PORT', String(port)), {}, { interruptWhen: (out) => out.includes('instead:') });
      assert.match(run.stdout, /Mosquitto on localhost/, `${command}: ${run.stderr}`);
      assert.ok(run.stdout.split('\n').includes(`For the embedded broker instead: ${hint}`), `${command}:\n${run.stdout}`);
    }
  });

  it('--help and --version through a pipe that closes early end quietly', async () => {
    for (const command of ['npm run -s consumer -- --help | head -1', 'npm run -s producer -- --help | head -1', 'npm run -s demo -- --help | head -1', 'npm run -s broker -- --version | head -1']) {
      const run = await shell(`set -o pipefail; ${command}; echo "status $?"`, env);
      assert.equal(run.stderr, '', `${command}: ${run.stderr}`);
      assert.match(run.stdout, /status 0/);
    }
  });

  it("the examples of --help work as printed, and name the command as it was started", async () => {
    for (const name of ['producer', 'consumer']) {
      const npmHelp = await shell(`npm run -s ${name} -- --help`, env);
      assert.match(npmHelp.stdout, new RegExp(`^Usage: npm run ${name} -- `));
      const bundleHelp = spawnSync(process.execPath, [join('dist', 'bin', `${name}.js`), '--help'], { cwd: packageRoot, encoding: 'utf8', env: { ...process.env, npm_lifecycle_event: undefined } });
      assert.match(bundleHelp.stdout, new RegExp(`^Usage: node dist/bin/${name}.js `));
      assert.match(bundleHelp.stdout, new RegExp(`^  node dist/bin/${name}.js `, 'm'), 'the bundle run with node shows itself in its examples');
      assert.doesNotMatch(bundleHelp.stdout, /npm run/);
    }
    const help = await shell('npm run -s consumer -- --help', env);
    const examples = help.stdout.slice(help.stdout.indexOf('Examples:')).split('\n').slice(1).filter((line) => line.startsWith('  npm run') || line.startsWith('  MQTT_'));
    assert.ok(examples.length >= 3, help.stdout);
    const producer = CliProcess.producer(['--url', mosquitto.broker.url, '--interval', '20']);
    try {
      // Each example is stopped with Ctrl+C once it has shown three values (the one piped into head stops by itself).
      await producer.waitUntil('the producer sending', () => producer.stdout.includes('Sent: 1\n'), 30_000);
      for (const example of examples) {
        const command = example.trim().replace(/\s+#.*$/, '');
        // The protected broker's example runs with the next test, against that broker.
        if (command.includes('tutorial-consumer')) continue;
        const run = await shell(command, env, { interruptWhen: (out) => (out.match(/^Received message: \d+/gm) ?? []).length >= 3, timeoutMs: 20_000 });
        assert.equal(run.stderr.replace(/^npm warn.*\n/gm, ''), '', `${command}: ${run.stderr}`);
        assert.ok([0, 130].includes(run.status), `${command}: status ${run.status}`);
        if (command.includes('| head')) assert.ok(run.stdout.split('\n').filter(Boolean).every((line) => line.startsWith('{')), `${command}: JSON lines only`);
        else assert.match(run.stdout, /Received message: \d+/, `${command} received values:\n${run.stdout.slice(0, 500)}`);
      }
    } finally {
      await producer.interrupt();
    }
    const producerHelp = await shell('npm run -s producer -- --help', env);
    const producerExamples = producerHelp.stdout.slice(producerHelp.stdout.indexOf('Examples:')).split('\n').filter((line) => line.startsWith('  npm run'));
    assert.ok(producerExamples.length >= 4, producerHelp.stdout);
    try {
      for (const example of producerExamples) {
        const command = example.trim().replace(/\s+#.*$/, '');
        const run = await shell(command, env, { interruptWhen: (out) => out.includes('Sent: 3\n'), timeoutMs: 30_000 });
        assert.equal(run.stderr, '', `${command}: ${run.stderr}`);
        assert.ok([0, 130].includes(run.status), `${command}: status ${run.status}`);
        assert.match(run.stdout, /Sent: 1\n/, command);
        const expected = command.includes('-q 0') ? /Summary: \d+ sent at QoS 0 \(no acknowledgement at QoS 0\), last value/ : /Summary: (\d+) sent, \1 acknowledged, 0 not acknowledged/;
        assert.match(run.stdout, expected, `${command}: every value acknowledged, or at QoS 0 sent\n${run.stdout.slice(-300)}`);
      }
    } finally {
      rmSync(join(packageRoot, 'producer.json'), { force: true });
    }
  });

  it("the broker's and the demo's --help examples start as printed (the --all ones are the scenario tests)", { skip: natsSkip() }, async (context) => {
    if (await portTaken(1883) || await portTaken(1884)) {
      context.skip('a broker already listens on localhost:1883 or 1884, where these examples start theirs');
      return;
    }
    const examplesOf = async (name: string): Promise<string[]> => {
      const help = await shell(`npm run -s ${name} -- --help`, env);
      return help.stdout.slice(help.stdout.indexOf('Examples:')).split('\n').filter((line) => /^ {2}(npm run|MQTT_)/.test(line)).map((line) => line.trim().replace(/\s+#.*$/, ''));
    };
    const temporary = mkdtempSync(join(mosquitto.dir, 'tmp-'));
    // A RabbitMQ cluster takes a minute or more to form here (test/full/erlang-brokers.test.ts starts one): its
    // example runs until it says it starts the nodes, then stops at once, as it cannot make their folder.
    const rabbitCluster = (example: string): boolean => /--broker rabbitmq\S* --nodes/.test(example);
    for (const command of (await examplesOf('broker')).filter(rabbitCluster)) {
      const run = await shell(command, { TMPDIR: join(temporary, 'missing') }, { timeoutMs: 60_000 });
      assert.match(run.stdout, /^Starting RabbitMQ, 3 nodes/m, `${command}: its options accepted\n${run.stdout}${run.stderr}`);
      assert.match(run.stderr, /ENOENT/, command);
    }
    for (const command of (await examplesOf('broker')).filter((example) => !rabbitCluster(example))) {
      const run = await shell(command, { TMPDIR: temporary }, { interruptWhen: (out) => out.includes('Ctrl+C stops it'), timeoutMs: 60_000 });
      assert.equal(run.stderr, '', `${command}: ${run.stderr}`);
      assert.equal(run.status, 130, `${command}: npm's status on Ctrl+C\n${run.stdout}`);
      assert.match(run.stdout, /(Broker|Cluster) stopped\./, `${command} stopped cleanly on Ctrl+C:\n${run.stdout}`);
    }
    // The consumer's example for the protected broker, against the protected broker of the broker's example.
    const protectedExample = (await examplesOf('consumer')).find((command) => command.includes('tutorial-consumer'));
    assert.ok(protectedExample);
    const guarded = spawn(process.execPath, [join(packageRoot, 'dist', 'bin', 'broker.js'), '--protected'], { env: { ...process.env, TMPDIR: temporary, MQTT_PASSWORD: 'choose-one' } });
    try {
      await new Promise<void>((resolve) => guarded.stdout.on('data', (d: Buffer) => d.toString().includes('Ctrl+C stops it') && resolve()));
      const withoutUrl = { ...env };
      delete withoutUrl.MQTT_URL;
      const run = await shell(protectedExample, withoutUrl, { interruptWhen: (out) => out.includes('Subscribed to my_topic'), timeoutMs: 20_000 });
      assert.equal(run.stderr, '', `${protectedExample}: ${run.stderr}`);
      assert.match(run.stdout, /Connected to mqtt:\/\/localhost:1883 as my-consumer/);
    } finally {
      guarded.kill('SIGINT');
      await new Promise((resolve) => guarded.once('exit', resolve));
    }
    // --nodes FILE describes a cluster the user runs: test/full/nodes-file.test.ts runs it on one.
    const demoExamples = (await examplesOf('demo')).filter((command) => !command.includes('--all') && !command.includes('--cluster') && !/--nodes \D/.test(command));
    assert.ok(demoExamples.length >= 3, demoExamples.join('\n'));
    const broker = spawn(process.execPath, [join(packageRoot, 'dist', 'bin', 'broker.js'), '--broker', 'embedded'], { env: { ...process.env, TMPDIR: temporary } });
    try {
      await new Promise<void>((resolve) => broker.stdout.on('data', (d: Buffer) => d.toString().includes('Ctrl+C stops it') && resolve()));
      for (const command of demoExamples) {
        const run = await shell(command, { TMPDIR: temporary }, { timeoutMs: 90_000 });
        assert.equal(run.status, 0, `${command}: ${run.stderr}\n${run.stdout.slice(-1000)}`);
        assert.match(run.stdout, /^PASS$/m, command);
      }
    } finally {
      broker.kill('SIGINT');
    }
    assert.deepEqual(readdirSync(temporary), [], 'nothing left behind in the temporary folder');
  });

  it('npm run demo -- --all, as --help shows it: every claim PASS or N/A on the embedded broker, exit 0', async () => {
    const run = await shell('npm run -s demo -- --all', {}, { timeoutMs: 240_000 });
    const table = run.stdout.slice(run.stdout.lastIndexOf('Claim '));
    const verdicts = [...table.matchAll(/^(\S+)\s+(PASS|FAIL|N\/A|SKIPPED)\s/gm)].map((m) => `${m[1]} ${m[2]}`);
    assert.ok(verdicts.length >= 10, `a verdict for each claim:\n${table}`);
    assert.deepEqual(verdicts.filter((v) => !/ (PASS|N\/A)$/.test(v)), [], table);
    assert.equal(run.status, 0, `${table}\n${run.stderr}`);
  });

  it('an interrupted demo leaves no temporary folder behind', async () => {
    // A temporary folder of its own, so that nothing else running on the machine is counted.
    const temporary = mkdtempSync(join(mosquitto.dir, 'tmp-'));
    const run = await shell('npm run demo', { TMPDIR: temporary }, { interruptWhen: (out) => out.includes('The consumer leaves'), timeoutMs: 30_000 });
    assert.equal(run.status, 130);
    assert.match(run.stdout, /The consumer leaves/, 'interrupted in the middle of the story');
    await waitFor('the demo removing its folders', () => readdirSync(temporary).length === 0, { detail: () => readdirSync(temporary).join('\n') });
  });
});
