#!/usr/bin/env node
/** A broker on localhost for following the tutorial by hand: Mosquitto when installed, else the embedded one. */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Option } from 'commander';
import { createProgram, integerIn, onInterrupt, parseArguments } from './cli.js';
import { startEmbeddedBroker } from './embedded-broker.js';
import { CliError, ExitCode, runCommand } from './errors.js';
import { findMosquitto, PrivateMosquitto, waitForPort } from './mosquitto.js';

interface BrokerOptions {
  embedded?: boolean;
  port: number;
}

const program = createProgram('broker', 'Start an MQTT broker on localhost for the tutorial: Mosquitto with scripts/mosquitto.conf when it is installed, otherwise the embedded broker.', [
  'npm run broker                    # Mosquitto if installed, else the embedded broker, on localhost:1883',
  'npm run broker -- --embedded      # the embedded broker (sessions in memory)',
  'npm run broker -- --port 1884     # another port',
])
  .addOption(new Option('--embedded', 'use the embedded broker even when Mosquitto is installed'))
  .addOption(new Option('-p, --port <port>', 'port to listen on').argParser(integerIn(1, 65535, 'the port')).default(1883))
  .addHelpText('after', '\nExit status: 0 stopped with Ctrl+C, 1 could not start (e.g. the port is taken), 2 invalid usage.\n');

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), import.meta.url.endsWith('.js') ? '../..' : '..');

/** The tutorial's config, with this port, data under .state/, and root kept (else it cannot write there). */
function tutorialConfig(): string[] {
  const text = readFileSync(join(projectRoot, 'scripts', 'mosquitto.conf'), 'utf8');
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#') && !/^(listener|persistence_location)\b/.test(line));
}

async function portTaken(port: number): Promise<boolean> {
  try {
    await waitForPort(port, 200);
    return true;
  } catch {
    return false;
  }
}

runCommand('broker', async () => {
  if (!parseArguments(program, process.argv)) return ExitCode.ok;
  const options = program.opts<BrokerOptions>();
  if (await portTaken(options.port)) {
    throw new CliError(
      `port ${options.port} is already taken: often the system's Mosquitto service, which works for the tutorial as it is (it keeps only 1000 messages per offline client); or choose --port`,
    );
  }
  const useMosquitto = !options.embedded && findMosquitto() !== undefined;
  let close: () => Promise<void>;
  if (useMosquitto) {
    const dataDir = join(projectRoot, '.state', 'mosquitto');
    mkdirSync(dataDir, { recursive: true });
    const mosquitto = new PrivateMosquitto({ port: options.port, config: tutorialConfig(), listenHost: 'localhost', persistenceLocation: dataDir });
    await mosquitto.start();
    process.stdout.write(`Mosquitto on localhost:${options.port}, with scripts/mosquitto.conf (persistence in .state/mosquitto/). Ctrl+C stops it.\n`);
    process.stdout.write('For the embedded broker instead: npm run broker -- --embedded\n');
    close = async () => {
      await mosquitto.stop();
      rmSync(mosquitto.dir, { recursive: true, force: true });
    };
  } else {
    const embedded = await startEmbeddedBroker(options.port, 'localhost');
    process.stdout.write(`The embedded broker (Aedes) on localhost:${options.port}; sessions live in memory, until it stops. Ctrl+C stops it.\n`);
    process.stdout.write(
      findMosquitto() === undefined
        ? 'For Mosquitto instead: sudo apt-get install mosquitto, then npm run broker\n'
        : 'For Mosquitto instead (sessions kept on disk): npm run broker, without --embedded\n',
    );
    close = () => embedded.close();
  }
  await new Promise<void>((resolveStop) => onInterrupt(() => resolveStop()));
  await close();
  process.stdout.write('Broker stopped.\n');
  return ExitCode.ok;
});
