#!/usr/bin/env node
/** The producer: an incrementing counter published once a second, none of it lost to an outage. */
import { Option } from 'commander';
import { randomBytes } from 'node:crypto';
import { createProgram, integerIn, onInterrupt, parseArguments, qosOption } from './cli/program.js';
import { addConnectionOptions } from './cli/options.js';
import { connectionSettings, type ConnectionOptions } from './mqtt/settings.js';
import { ExitCode } from './core/errors.js';
import { onOutputClosed, runCommand } from './cli/run.js';
import { validateTopicName } from './core/topics.js';

interface ProducerOptions extends ConnectionOptions {
  topic: string;
  qos: 0 | 1 | 2;
  interval: number;
  count?: number;
  start: number;
  state?: string;
  json?: boolean;
  idInPayload?: boolean;
}

const program = addConnectionOptions(
  createProgram('producer', 'Publish an incrementing counter (1, 2, 3, ...) once a second, keeping every value until the broker has it.', [
    { args: '', note: 'Sent: 1, Sent: 2, ... to my_topic at QoS 1' },
    { args: '--interval 0 --count 100000', note: 'as fast as the broker takes them, then exit' },
    { args: '--state producer.json', note: 'survives its own crash: restart it with the same file' },
    { args: '-q 0', note: 'QoS 0: an offline consumer gets none of these' },
    { args: '-i sensor-1 -V 4 --id-in-payload', note: 'MQTT 3.1.1, the producer named in the payload: sensor-1:1, ...' },
  ]),
  undefined,
)
  .addOption(new Option('-t, --topic <topic>', 'topic to publish to').default('my_topic'))
  .addOption(qosOption(1))
  .addOption(new Option('--interval <ms>', 'milliseconds between values; 0 = back to back').argParser(integerIn(0, 86_400_000, 'the interval')).default(1000))
  .addOption(new Option('-C, --count <n>', 'stop after this many values, once all are acknowledged (at QoS 0, once all are sent)').argParser(integerIn(1, Number.MAX_SAFE_INTEGER, 'the count')))
  .addOption(new Option('--start <n>', 'first value').argParser(integerIn(0, Number.MAX_SAFE_INTEGER, 'the start value')).default(1))
  .addOption(new Option('--state <path>', 'keep the counter and the unacknowledged values in this file, to survive a crash'))
  .addOption(new Option('--id-in-payload', 'send "producer-id:value" instead of the bare number, so that consumers tell producers apart without MQTT 5 (the id is -i, else the state file\'s, else the client id)'))
  .addOption(new Option('--json', 'print one JSON object per line'))
  .addHelpText('after', '\nExit status: 0 done, 2 invalid usage, 1 any other failure.\n');

runCommand('producer', async () => {
  if (!parseArguments(program, process.argv)) return ExitCode.ok;
  const options = program.opts<ProducerOptions>();
  validateTopicName(options.topic);
  // Loaded once the options are parsed, so that --help and --version stay quick; the state file's
  // module (with zod, which checks the file when it is read) only when there is one.
  const [stateModule, { createProducerRenderer }, { CounterPublisher }] = await Promise.all([
    options.state === undefined ? undefined : import('./state/producer-state.js'),
    import('./cli/render.js'),
    import('./mqtt/publisher.js'),
  ]);
  const clientId = options.id ?? `producer-${randomBytes(4).toString('hex')}`;
  const stateFile = options.state === undefined ? undefined : new stateModule!.ProducerStateFile(options.state);
  const renderer = createProducerRenderer(options.json === true);
  // Before anything is sent: Ctrl+C while a previous process is waited for ends at once, with nothing to keep.
  await stateFile?.open((wait) => {
    renderer.render({ event: 'state-in-use', ...wait });
    void renderer.flush();
  });
  const publisher = new CounterPublisher({
    settings: connectionSettings(options, clientId),
    topic: options.topic,
    qos: options.qos,
    producerId: options.id,
    idInPayload: options.idInPayload === true,
    intervalMs: options.interval,
    count: options.count,
    start: options.start,
    stateFile,
    renderer,
    drainTimeoutMs: 5000,
  });
  onInterrupt(() => void publisher.stop());
  onOutputClosed(() => void publisher.stop());
  return publisher.run();
});
