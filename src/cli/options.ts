/** The connection options both commands share, with Mosquitto's letters where Mosquitto has one. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { integerIn } from './program.js';

export function addConnectionOptions(program: Command, defaultId: string | undefined): Command {
  return program
    .addOption(
      new Option(
        '-L, --url <url>',
        'broker URL: mqtt://host:port or mqtts://host:port; for a cluster, its nodes separated by commas (the first that answers is used, the next when its node is lost)',
      )
        .env('MQTT_URL')
        .default('mqtt://localhost:1883'),
    )
    .addOption(
      defaultId === undefined
        ? new Option('-i, --id <client-id>', 'client identifier (default: a random one)')
        : new Option('-i, --id <client-id>', 'client identifier').default(defaultId),
    )
    .addOption(
      new Option('-V, --protocol-version <version>', 'MQTT protocol version: 5 or 4 (3.1.1)')
        .default(5)
        .argParser(parseProtocolVersion),
    )
    .addOption(
      new Option('-k, --keepalive <seconds>', 'seconds between pings; a dead link is noticed after about 1.5 times this')
        .argParser(integerIn(0, 65535, 'the keep-alive'))
        .default(60),
    )
    .addOption(new Option('-u, --username <name>', 'user name').env('MQTT_USERNAME'))
    .addOption(
      new Option('-P, --password <password>', 'password (prefer the MQTT_PASSWORD variable: it stays out of the process list)').env(
        'MQTT_PASSWORD',
      ),
    )
    .addOption(new Option('--ca <file>', 'CA certificate(s) to trust, PEM (mqtts://)'))
    .addOption(new Option('--cert <file>', 'client certificate, PEM (mqtts://)'))
    .addOption(new Option('--key <file>', 'client private key, PEM (mqtts://)'))
    .addOption(new Option('--insecure', 'do not verify the broker certificate (unsafe: anyone can pretend to be the broker)'))
    .addOption(
      new Option('--connect-timeout <seconds>', 'give up (exit 1) when the broker cannot be reached for this long (default: keep trying)').argParser(
        integerIn(1, 86400, 'the connect timeout'),
      ),
    );
}

export function parseProtocolVersion(raw: string): 4 | 5 {
  if (raw === '5' || raw === 'mqttv5') return 5;
  if (raw === '4' || raw === '311' || raw === 'mqttv311') return 4;
  throw new InvalidArgumentError('the protocol version must be 5 or 4 (3.1.1).');
}
