/** A real NATS server cluster for the tests, on free ports of 127.0.0.1 (never a system service). */
import { findNatsServer } from '../../src/brokers/nats.js';

export { NatsCluster as TestNatsCluster } from '../../src/brokers/nats.js';

/** Why a NATS test is skipped, or false to run it; under CI a missing nats-server fails instead. */
export function natsSkip(): string | false {
  if (findNatsServer()) return false;
  if (process.env.CI) throw new Error('nats-server is not installed (apt-get install nats-server); under CI that is a failure');
  return 'nats-server is not installed (apt-get install nats-server)';
}
