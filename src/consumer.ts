#!/usr/bin/env node
/** The consumer: a persistent-session subscriber that verifies every value arrived. */
import { Option } from 'commander';
import { createProgram, integerIn, onInterrupt, parseArguments, qosOption } from './cli/program.js';
import { addConnectionOptions } from './cli/options.js';
import { connectionSettings, type ConnectionOptions } from './mqtt/settings.js';
import { ExitCode, UsageError } from './core/errors.js';
import { onOutputClosed, runCommand } from './cli/run.js';
import { hasWildcard, subscriptionOf } from './core/topics.js';
import { fieldLocation, propertyLocation, type ValueSource } from './core/value-source.js';
import { keepHeapSmall } from './cli/heap.js';

interface ConsumerOptions extends ConnectionOptions {
  id: string;
  topic: string;
  group?: string;
  qos: 0 | 1 | 2;
  sessionExpiry: number;
  clean?: boolean;
  count?: number;
  json?: boolean;
  state: string | boolean;
  reset?: boolean;
  receiveMaximum: number;
  queueLimit?: number;
  valueField?: string;
  producerField?: string;
  valueProperty?: string;
  producerProperty?: string;
}

const program = addConnectionOptions(
  createProgram('consumer', 'Subscribe with a persistent session and verify that every value arrives: gaps, duplicates and producer restarts are flagged.', [
    { args: '--id my-consumer', note: 'the tutorial: stop it with Ctrl+C, start it again' },
    { args: '--id my-consumer --clean', note: 'a clean session: values sent while away are lost' },
    { args: '--id my-consumer -C 100 --json | head -3', note: 'one JSON object per line; stop after 100 messages' },
    { args: '--id member-1 --group workers', note: 'a member of a consumer group ($share/workers/my_topic): merge the members with the report command' },
    { env: 'MQTT_PASSWORD=choose-one', args: '-u tutorial-consumer --id my-consumer', note: 'the protected broker (the broker command with --protected)' },
  ]),
  'persistent-session-consumer',
)
  .addOption(new Option('-t, --topic <filter>', "topic filter to subscribe to ('$share/GROUP/FILTER': a member of a consumer group)").default('my_topic'))
  .addOption(
    new Option('--group <name>', 'be a member of this consumer group: subscribe to $share/NAME/<topic>; the member shows its share and never judges a value missing'),
  )
  .addOption(qosOption(1))
  .addOption(
    new Option('-x, --session-expiry <seconds>', 'how long the broker keeps the session while the consumer is away (MQTT 5)')
      .argParser(integerIn(0, 4294967295, 'the session expiry'))
      .default(3600),
  )
  .addOption(new Option('-c, --clean', 'ask for a clean session: the broker keeps nothing while the consumer is away'))
  .addOption(new Option('-C, --count <n>', 'exit after receiving this many messages').argParser(integerIn(1, Number.MAX_SAFE_INTEGER, 'the count')))
  .addOption(new Option('--json', 'print one JSON object per line (see the README for the fields)'))
  .addOption(new Option('--state <path>', 'checkpoint file (default: under $XDG_STATE_HOME or ~/.local/state, named after the client id)'))
  .addOption(new Option('--no-state', 'keep no checkpoint: the accounting starts afresh at every start'))
  .addOption(
    new Option('--reset', "start a new chapter: the checkpoint's earlier values and losses are set aside, the count starts afresh (the session on the broker is kept)"),
  )
  .addOption(
    new Option('--receive-maximum <n>', 'unacknowledged messages the broker may send ahead (MQTT 5 Receive Maximum); the consumer reads no further ahead of its checkpoint')
      .argParser(integerIn(1, 65535, 'the receive maximum'))
      .default(1000),
  )
  .addOption(
    new Option('--queue-limit <n>', "the broker's limit of queued messages per offline client, when known (Mosquitto: max_queued_messages): a gap right after a backlog that reached it is put down to it")
      .argParser(integerIn(0, Number.MAX_SAFE_INTEGER, 'the queue limit')),
  )
  .addOption(new Option('--value-field <path>', 'read each value from this field of a JSON payload (a dot path: seq, reading.seq, items.0.seq)').conflicts('valueProperty'))
  .addOption(new Option('--producer-field <path>', 'read the producer (one sequence each) from this field of a JSON payload').conflicts('producerProperty'))
  .addOption(new Option('--value-property <name>', 'read each value from this MQTT 5 user property'))
  .addOption(new Option('--producer-property <name>', 'read the producer (one sequence each) from this MQTT 5 user property'))
  .addHelpText(
    'after',
    '\nThe checkpoint belongs to the broker (its URLs) and MQTT version it was written with: a run against another one starts a new chapter, said in one line.\n' +
      '\nExit status: 0 nothing missing, 3 values missing (never for a group member), 5 messages came but none held a value to check, 2 invalid usage, 1 any other failure.\n',
  );

runCommand('consumer', async () => {
  if (!parseArguments(program, process.argv)) return ExitCode.ok;
  const options = program.opts<ConsumerOptions>();
  if (options.id === '' && !options.clean) throw new UsageError('a persistent session needs a client id: give --id a name, or use --clean');
  if (options.reset && options.state === false) throw new UsageError('--reset starts the checkpoint afresh, and --no-state keeps none: give one of them');
  const subscription = subscriptionOf(options.topic, options.group);
  const settings = connectionSettings(options, options.id);
  const valueSource = valueSourceOf(options);
  if ((options.valueProperty !== undefined || options.producerProperty !== undefined) && settings.protocolVersion !== 5) {
    throw new UsageError('user properties are MQTT 5: --value-property and --producer-property need -V 5');
  }
  keepHeapSmall();
  // Loaded once the options are parsed, so that --help and --version stay quick.
  const [{ Checkpoint, defaultCheckpointPath }, { createConsumerRenderer }, { DeliveryVerifier }] = await Promise.all([
    import('./state/checkpoint.js'),
    import('./cli/render.js'),
    import('./mqtt/verifier.js'),
  ]);
  const statePath = options.state === false ? undefined : typeof options.state === 'string' ? options.state : defaultCheckpointPath(options.id);
  const checkpoint = statePath === undefined ? undefined : new Checkpoint(statePath);
  const renderer = createConsumerRenderer(options.json === true, process.stdout, process.stderr, hasWildcard(subscription.filter));
  // Before anything is received: Ctrl+C while a previous process is waited for ends at once, with nothing to keep.
  await checkpoint?.open((wait) => {
    renderer.render({ event: 'state-in-use', ...wait });
    void renderer.flush();
  });
  const verifier = new DeliveryVerifier({
    settings,
    topic: subscription.filter,
    group: subscription.group,
    qos: options.qos,
    clean: options.clean === true,
    sessionExpiry: options.clean ? 0 : options.sessionExpiry,
    count: options.count,
    checkpoint,
    reset: options.reset === true,
    renderer,
    receiveMaximum: options.receiveMaximum,
    queueLimit: options.queueLimit,
    maxPayloadBytes: 1024 * 1024,
    valueSource,
  });
  onInterrupt(() => void verifier.stop());
  onOutputClosed(() => void verifier.stop());
  return verifier.run();
});

function valueSourceOf(options: ConsumerOptions): ValueSource {
  const source: ValueSource = {};
  if (options.valueField !== undefined) source.value = fieldLocation(options.valueField, '--value-field');
  if (options.valueProperty !== undefined) source.value = propertyLocation(options.valueProperty, '--value-property');
  if (options.producerField !== undefined) source.producer = fieldLocation(options.producerField, '--producer-field');
  if (options.producerProperty !== undefined) source.producer = propertyLocation(options.producerProperty, '--producer-property');
  return source;
}
