/** A real Mosquitto for the tests, on a free port with its own config (never the system broker). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { findMosquitto } from '../../src/brokers/mosquitto.js';

export { PrivateMosquitto as TestMosquitto } from '../../src/brokers/mosquitto.js';

/** Why a Mosquitto test is skipped, or false to run it; under CI a missing Mosquitto fails instead. */
export function mosquittoSkip(): string | false {
  if (findMosquitto()) return false;
  if (process.env.CI) throw new Error('Mosquitto is not installed (apt-get install mosquitto); under CI that is a failure');
  return 'Mosquitto is not installed (apt-get install mosquitto)';
}

/** Publishes values with mosquitto_pub, one message per line, under MQTT 5 with the given user properties. */
export function mosquittoPub(port: number, topic: string, values: number[], properties: Record<string, string>, version: 'mqttv5' | 'mqttv311' = 'mqttv5'): void {
  const props = Object.entries(properties).flatMap(([name, value]) => ['-D', 'publish', 'user-property', name, value]);
  const result = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-V', version, '-q', '1', '-t', topic, '-l', ...props], {
    input: values.map(String).join('\n') + '\n',
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
}


/** Sets the retained message of a topic with mosquitto_pub -r (QoS 1): the broker hands it to every new subscription. */
export function mosquittoRetain(port: number, topic: string, payload: string): void {
  const result = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-q', '1', '-r', '-t', topic, '-m', payload], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
}
