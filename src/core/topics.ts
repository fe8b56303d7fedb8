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

/** A consumer's subscription: the topic filter, and the shared-subscription group it belongs to, if any. */
export interface Subscription {
  /** What is sent in SUBSCRIBE: "$share/GROUP/FILTER" for a group member. */
  filter: string;
  group?: string;
}

const sharePrefix = '$share/';

/**
 * "--group g -t t" and "-t '$share/g/t'" are the same subscription: a member of the consumer group g,
 * among whom the broker shares the messages of t (MQTT 5 shared subscriptions; Mosquitto takes them on 3.1.1 too).
 */
export function subscriptionOf(topic: string, group?: string): Subscription {
  let filter = topic;
  let named = group;
  if (topic.startsWith(sharePrefix)) {
    const rest = topic.slice(sharePrefix.length);
    const slash = rest.indexOf('/');
    if (slash <= 0 || slash === rest.length - 1) {
      throw new UsageError(`invalid shared subscription '${topic}': it is $share/GROUP/TOPIC-FILTER`);
    }
    const inTopic = rest.slice(0, slash);
    if (group !== undefined && group !== inTopic) {
      throw new UsageError(`--group ${group} and the topic filter's group ${inTopic} differ: give one of them`);
    }
    named = inTopic;
    filter = rest.slice(slash + 1);
  }
  validateTopicFilter(filter);
  if (named === undefined) return { filter };
  if (named.length === 0 || /[/+#]/.test(named)) {
    throw new UsageError(`invalid group name '${named}': it must not be empty or contain /, + or #`);
  }
  return { filter: `${sharePrefix}${named}/${filter}`, group: named };
}

/** A filter that matches several topics: + or # as a level (a group's "$share/GROUP/" prefix aside). */
export function hasWildcard(filter: string): boolean {
  return filter.split('/').some((level) => level === '+' || level === '#');
}

/**
 * Whether a topic name matches a topic filter (MQTT 5, 4.7): + is one level, # the level it stands at
 * and every one below (a/# matches a); a wildcard first level never matches a topic that begins with $;
 * a group's "$share/GROUP/" prefix is not part of the filter.
 */
export function topicMatches(filter: string, topic: string): boolean {
  const levels = (filter.startsWith(sharePrefix) ? filter.split('/').slice(2) : filter.split('/'));
  const names = topic.split('/');
  if (topic.startsWith('$') && (levels[0] === '+' || levels[0] === '#')) return false;
  for (const [i, level] of levels.entries()) {
    if (level === '#') return true;
    if (i >= names.length || (level !== '+' && level !== names[i])) return false;
  }
  return levels.length === names.length;
}
