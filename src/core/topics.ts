/** Topic names (publish) and topic filters (subscribe), checked before anything is sent. */
import { UsageError } from './errors.js';

const maxTopicBytes = 65535;

function checkCommon(topic: string, what: string): void {
  if (topic.length === 0) throw new UsageError(`the ${what} is empty`);
  if (Buffer.byteLength(topic, 'utf8') > maxTopicBytes) throw new UsageError(`the ${what} is longer than ${maxTopicBytes} bytes`);
  if (topic.includes('\u0000')) throw new UsageError(`the ${what} contains a NUL character`);
}

export function validateTopicName(topic: string): void {
  checkCommon(topic, 'topic');
  if (topic.includes('+') || topic.includes('#')) {
    throw new UsageError(`the topic '${topic}' contains a wildcard (+ or #): a message is published to one exact topic`);
  }
}

export function validateTopicFilter(filter: string): void {
  checkCommon(filter, 'topic filter');
  const levels = filter.split('/');
  levels.forEach((level, index) => {
    if (level.includes('#') && (level !== '#' || index !== levels.length - 1)) {
      throw new UsageError(`invalid topic filter '${filter}': # must be a whole level and the last one`);
    }
    if (level.includes('+') && level !== '+') {
      throw new UsageError(`invalid topic filter '${filter}': + must be a whole level`);
    }
  });
}
