/** A real Mosquitto for the tests, on a free port with its own config (never the system broker). */
import { findMosquitto } from '../../src/brokers/mosquitto.js';

export { PrivateMosquitto as TestMosquitto } from '../../src/brokers/mosquitto.js';

/** Why a Mosquitto test is skipped, or false to run it; under CI a missing Mosquitto fails instead. */
export function mosquittoSkip(): string | false {
  if (findMosquitto()) return false;
  if (process.env.CI) throw new Error('Mosquitto is not installed (apt-get install mosquitto); under CI that is a failure');
  return 'Mosquitto is not installed (apt-get install mosquitto)';
}

