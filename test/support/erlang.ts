/** Private RabbitMQ and ejabberd brokers for the tests, on free ports of 127.0.0.1 (never the packages' own instances). */
import { ejabberdMissing } from '../../src/brokers/ejabberd.js';
import { findRabbitmqServer } from '../../src/brokers/rabbitmq.js';

/** Why a RabbitMQ test is skipped, or false to run it; under CI a missing RabbitMQ fails instead. */
export function rabbitmqSkip(): string | false {
  if (findRabbitmqServer()) return false;
  if (process.env.CI) throw new Error('RabbitMQ is not installed (apt-get install rabbitmq-server); under CI that is a failure');
  return 'RabbitMQ is not installed (apt-get install rabbitmq-server)';
}

/** Why an ejabberd test is skipped, or false to run it; under CI a missing ejabberd (or root) fails instead. */
export function ejabberdSkip(): string | false {
  const missing = ejabberdMissing();
  if (!missing) return false;
  if (process.env.CI) throw new Error(`${missing}; under CI that is a failure`);
  return missing;
}
