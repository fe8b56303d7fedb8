/**
 * The words both commands take (--broker KIND, --nodes N): every example of the demo's --help and of the
 * docs parses into what it says, and what does not go together is one usage line. The examples that
 * start something run in test/full/tutorial.test.ts; this file checks those too long to run there.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { brokerKinds, catalogue } from '../src/brokers/catalogue.js';
import { commandArgs, packageRoot } from '../src/cli/package.js';
import { parseArguments } from '../src/cli/program.js';
import { UsageError } from '../src/core/errors.js';
import { demoExamples, demoPlan, demoProgram, type DemoPlan } from '../src/demo/command.js';

function plan(args: string): DemoPlan {
  const program = demoProgram();
  assert.ok(parseArguments(program, ['node', 'demo', ...args.split(' ').filter(Boolean)]), `${args}: not a run`);
  return demoPlan(program);
}

/** The commands of README.md and docs/*.md that start with `npm run NAME --`, each with what follows. */
function documented(name: string): string[] {
  const files = ['README.md', ...readdirSync(join(packageRoot, 'docs')).filter((file) => file.endsWith('.md')).map((file) => join('docs', file))];
  const found: string[] = [];
  for (const file of files) {
    // Prose wraps an inline command over two lines; a code block has one command a line. A random run's
    // first line names the command that replays it, followed by words.
    const parts = readFileSync(join(packageRoot, file), 'utf8').split('```');
    const text = parts.map((part, i) => (i % 2 === 0 ? part.replace(/\n/g, ' ') : part)).join('\n');
    for (const match of text.matchAll(new RegExp(`npm run (?:-s )?${name} -- ([^\`#\\n|>)]*)`, 'g'))) found.push(match[1]!.replace(/\[|\]/g, '').trim().replace(/ replays this schedule$/, ''));
  }
  return found;
}

describe('--broker KIND and --nodes N', () => {
  it('the catalogue names every kind once, with its MQTT versions and how many nodes it runs', () => {
    assert.deepEqual(catalogue.map((entry) => entry.kind), [...brokerKinds]);
    const speaks = Object.fromEntries(catalogue.map((entry) => [entry.kind, [...entry.protocolVersions]]));
    assert.deepEqual(speaks.nats, [4], 'NATS speaks only MQTT 3.1.1');
    assert.deepEqual(speaks.rabbitmq, [4], 'RabbitMQ 3.10 speaks only MQTT 3.1.1');
    assert.deepEqual(catalogue.filter((entry) => entry.nodes.max === 1).map((entry) => entry.kind), ['embedded', 'mosquitto']);
    assert.ok(catalogue.every((entry) => entry.nodes.max === 1 || entry.nodes.max === 5));
  });

  it("every example of the demo's --help parses into a plan", () => {
    assert.ok(demoExamples.length >= 8);
    for (const example of demoExamples) assert.doesNotThrow(() => plan(example.args), example.args);
  });

  it('every `npm run demo --` of the README and the docs parses into a plan', () => {
    const commands = documented('demo').map((args) => args.replace(/\bURL\b|mqtt:\/\/\S*PORT\S*/g, 'mqtt://127.0.0.1:1883').replace(/\bNAME\b/, 'qos0').replace(/--time-limit S\b/, '--time-limit 60').replace(/--seed N\b/, '--seed 42'));
    assert.ok(commands.length >= 10, commands.join('\n'));
    for (const args of commands) assert.doesNotThrow(() => plan(args), args);
  });

  it('every `npm run broker --` of the README and the docs uses the options and kinds of its --help', () => {
    const help = spawnSync(process.execPath, [...commandArgs('broker'), '--help'], { encoding: 'utf8' }).stdout;
    const flags = new Set([...help.matchAll(/^ {2}(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]!));
    assert.ok(flags.has('--broker') && flags.has('--nodes'), help);
    const commands = documented('broker');
    assert.ok(commands.length >= 8, commands.join('\n'));
    for (const args of commands) {
      for (const flag of args.match(/--[\w-]+/g) ?? []) assert.ok(flags.has(flag), `${args}: ${flag} is not an option of the broker command`);
      const kind = /--broker (\S+)/.exec(args)?.[1];
      if (kind) assert.ok((brokerKinds as readonly string[]).includes(kind), `${args}: ${kind} is not a kind`);
    }
  });

  it('every `--broker WORD` in the README, the docs and the source names a kind of the catalogue', () => {
    const files = ['README.md', ...readdirSync(join(packageRoot, 'docs')).map((file) => join('docs', file)), ...readdirSync(join(packageRoot, 'src'), { recursive: true }).map((file) => join('src', String(file)))];
    let seen = 0;
    for (const file of files.filter((name) => /\.(md|ts)$/.test(name))) {
      for (const match of readFileSync(join(packageRoot, file), 'utf8').matchAll(/--broker[ =]([a-z][\w-]*)/g)) {
        seen++;
        assert.ok((brokerKinds as readonly string[]).includes(match[1]!), `${file}: --broker ${match[1]} is not a kind`);
      }
    }
    assert.ok(seen >= 20, `${seen} mentions`);
  });

  it('--cluster alone: the fault scenarios on a NATS cluster of 3 nodes of their own, no other broker', () => {
    const cluster = plan('--cluster');
    assert.equal(cluster.mode, 'scenarios');
    assert.equal(cluster.mode === 'scenarios' && cluster.broker, undefined);
    assert.equal(cluster.mode === 'scenarios' && cluster.ownFaultNodes, 3);
    const five = plan('--cluster --nodes 5');
    assert.equal(five.mode === 'scenarios' && five.ownFaultNodes, 5);
  });

  it('--cluster --broker KIND: 3 nodes of that kind, which the fault scenarios share; --nodes N another number', () => {
    const rabbit = plan('--cluster --broker rabbitmq');
    assert.deepEqual(rabbit.mode === 'scenarios' && rabbit.broker, { kind: 'rabbitmq', nodes: 3, url: undefined });
    const ejabberd = plan('--all --cluster --broker ejabberd --nodes 5');
    assert.deepEqual(ejabberd.mode === 'scenarios' && ejabberd.broker, { kind: 'ejabberd', nodes: 5, url: undefined });
    const nats = plan('--broker nats --nodes 3');
    assert.deepEqual(nats.mode === 'scenarios' && nats.broker, { kind: 'nats', nodes: 3, url: undefined });
    const one = plan('--broker nats');
    assert.deepEqual(one.mode === 'scenarios' && one.broker, { kind: 'nats', nodes: 1, url: undefined });
  });

  it('what does not go together is a usage error that says why', () => {
    const refused: Array<[string, RegExp]> = [
      ['--broker mosquitto --nodes 3', /^--broker mosquitto runs one node: --nodes 3 needs --broker nats, rabbitmq, rabbitmq-mirrored, rabbitmq-quorum or ejabberd$/],
      ['--cluster --broker embedded', /^--broker embedded runs one node/],
      ['--cluster --broker nats --nodes 2', /^--cluster kills and pauses nodes: it needs --nodes 3 or more$/],
      ['--nodes 6 --broker nats', /the number of nodes must be from 1 to 5/],
      ['--nodes cluster.json --broker nats', /^--nodes FILE describes the broker: leave out --broker$/],
      ['--nodes cluster.json --all', /^--nodes FILE runs the fault scenarios on your cluster; --all is the article/],
      ['--nodes 3 --broker nats --url mqtt://127.0.0.1:1883', /cannot be used with option '-L, --url <url>'/],
      ['--broker nats-cluster', /Allowed choices are embedded, mosquitto, nats, rabbitmq, rabbitmq-mirrored, rabbitmq-quorum, ejabberd/],
      ['-V 4', /^the embedded broker is shown on MQTT 5 only/],
    ];
    for (const [args, message] of refused) assert.throws(() => plan(args), (error: unknown) => error instanceof UsageError && message.test(error.message), args);
  });

  it('the broker command refuses what does not go together: one line, exit 2', () => {
    for (const [args, message] of [
      [['--broker', 'mosquitto', '--nodes', '3'], /^broker: --broker mosquitto runs one node: --nodes 3 needs --broker nats/],
      [['--broker', 'embedded', '--protected'], /^broker: --protected is a Mosquitto: it cannot be used with --broker embedded$/],
      [['--broker', 'rabbitmq', '--port', '1884'], /^broker: --port is for mosquitto and embedded/],
      [['--cluster', '3'], /^broker: unknown option '--cluster'/],
    ] as const) {
      const result = spawnSync(process.execPath, [...commandArgs('broker'), ...args], { encoding: 'utf8' });
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr.trim(), message);
    }
  });
});
