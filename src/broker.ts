#!/usr/bin/env node
/** A broker on localhost for following the tutorial by hand: Mosquitto when installed, else the embedded one. */
import { Option } from 'commander';
import { createProgram, integerIn, onInterrupt, parseArguments } from './cli/program.js';
import { ExitCode, UsageError } from './core/errors.js';
import { runCommand } from './cli/run.js';
import { protectedUsers } from './brokers/protected.js';
import { serveBroker, type BrokerOptions } from './brokers/serve.js';


const program = createProgram('broker', 'Start an MQTT broker on localhost for the tutorial: Mosquitto with scripts/mosquitto.conf when it is installed, otherwise the embedded broker.', [
  { args: '', note: 'Mosquitto if installed, else the embedded broker, on localhost:1883' },
  { args: '--embedded', note: 'the embedded broker (sessions in memory)' },
  { args: '--port 1884', note: 'another port' },
  { env: 'MQTT_PASSWORD=choose-one', args: '--protected', note: 'only the users tutorial-producer and tutorial-consumer' },
  { args: '--cluster 3', note: 'a NATS JetStream cluster of 3 nodes on free ports (MQTT 3.1.1: use -V 4)' },
  { args: '--rabbitmq', note: 'a private RabbitMQ node with its MQTT plugin on a free port (MQTT 3.1.1: use -V 4)' },
  { args: '--rabbitmq --cluster 3 --quorum', note: '3 RabbitMQ nodes keeping sessions in quorum queues' },
  { args: '--ejabberd --cluster 3', note: 'a private ejabberd cluster of 3 nodes (needs root: it runs as the ejabberd user)' },
])
  .addOption(new Option('--embedded', 'use the embedded broker even when Mosquitto is installed').conflicts('protected'))
  .addOption(
    new Option(
      '--protected',
      `Mosquitto with scripts/mosquitto-protected.conf: only the users ${protectedUsers.producer} (may publish to my_topic) and ${protectedUsers.consumer} (may subscribe to it), both with the password in MQTT_PASSWORD`,
    ),
  )
  .addOption(new Option('-p, --port <port>', 'port to listen on').argParser(integerIn(1, 65535, 'the port')).default(1883))
  .addOption(
    new Option('--cluster <nodes>', 'this many nodes (1 to 5) on free ports of 127.0.0.1, clustered; prints their MQTT URLs (NATS with JetStream unless --rabbitmq or --ejabberd)')
      .argParser(integerIn(1, 5, 'the cluster size'))
      .conflicts(['embedded', 'protected', 'port']),
  )
  .addOption(new Option('--nats', 'a private NATS server (one node unless --cluster)').conflicts(['embedded', 'protected', 'port', 'rabbitmq', 'ejabberd']))
  .addOption(new Option('--rabbitmq', 'a private RabbitMQ with its MQTT plugin (one node unless --cluster); its default classic queues').conflicts(['embedded', 'protected', 'port', 'ejabberd']))
  .addOption(new Option('--quorum', "with --rabbitmq: sessions' subscriptions in quorum queues, replicated on every node"))
  .addOption(new Option('--mirrored', "with --rabbitmq: sessions' subscriptions in classic queues mirrored on every node (a policy)").conflicts('quorum'))
  .addOption(new Option('--ejabberd', 'a private ejabberd with mod_mqtt (one node unless --cluster); any user name and password log in').conflicts(['embedded', 'protected', 'port']))
  .addHelpText(
    'after',
    '\nThe nodes of --cluster, --nats, --rabbitmq and --ejabberd run in a private folder with their own config and ports; killing a node by hand: kill -KILL PID (NATS), kill -KILL -- -GROUP (RabbitMQ, ejabberd: the whole process group).\n' +
      '\nExit status: 0 stopped with Ctrl+C, 1 could not start (e.g. the port is taken), 2 invalid usage.\n',
  );

runCommand('broker', async () => {
  if (!parseArguments(program, process.argv)) return ExitCode.ok;
  const options = program.opts<BrokerOptions>();
  if (options.quorum && !options.rabbitmq) throw new UsageError('--quorum needs --rabbitmq');
  if (options.mirrored && !options.rabbitmq) throw new UsageError('--mirrored needs --rabbitmq');
  // Listening from the start: a Ctrl+C while the broker starts stops it once it has, never half-way.
  const interrupted = new Promise<void>((resolveStop) => onInterrupt(() => resolveStop()));
  const served = await serveBroker(options);
  await interrupted;
  await served.close();
  process.stdout.write(`${served.what} stopped.\n`);
  return ExitCode.ok;
});
