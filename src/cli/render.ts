/**
 * The renderers of the producer and the consumer: the same typed events become lines for a person or
 * one JSON object per line. Lines are buffered and written in one go by flush(), which the consumer
 * awaits before it acknowledges what the lines report.
 */
import type { ConsumerEvent, ProducerEvent, Renderer } from '../core/events.js';
import { consumerLine, ConsumerLineState } from './consumer-lines.js';
import { producerLine } from './producer-lines.js';
import { createRenderer } from './stream.js';

/** showTopics: each value line names its topic (the filter has a wildcard). */
export function createConsumerRenderer(
  json: boolean,
  stream: NodeJS.WriteStream = process.stdout,
  err: NodeJS.WriteStream = process.stderr,
  showTopics = false,
): Renderer<ConsumerEvent> {
  const state = new ConsumerLineState(showTopics);
  return createRenderer(json, { out: stream, err }, (event: ConsumerEvent, chalk) => consumerLine(event, chalk, state));
}

export function createProducerRenderer(json: boolean, stream: NodeJS.WriteStream = process.stdout, err: NodeJS.WriteStream = process.stderr): Renderer<ProducerEvent> {
  return createRenderer(json, { out: stream, err }, producerLine);
}
