/** The consumer's events in words, one line each (the summary in several). */
import type { ChalkInstance } from 'chalk';
import type { ConsumerEvent } from '../core/events.js';
import { causeText } from './causes.js';
import { brokerText, formatDuration, formatRange, nodeOf, sequenceName } from './format.js';
import { invalidText, nothingVerifiedLine, stateInUseLine, warningLine } from './notices.js';
import { summaryLines } from './summary-lines.js';
import { describeLinkReason } from '../core/reasons.js';

/**
 * What the consumer's lines have said so far: a value's producer is shown once there are several, its
 * topic when the filter has a wildcard, and a message rejected for a bad path or a non-integer value
 * once per kind (the summary counts the rest).
 */
export class ConsumerLineState {
  private first: string | undefined;
  private many = false;
  private readonly rejectionsSaid = new Set<string>();

  constructor(readonly showTopics = false) {}

  several(producerId: string): boolean {
    if (this.many) return true;
    this.first ??= producerId;
    this.many = producerId !== this.first;
    return this.many;
  }

  /** Whether this rejection is the first of its kind and role. */
  firstOf(kind: string): boolean {
    if (this.rejectionsSaid.has(kind)) return false;
    this.rejectionsSaid.add(kind);
    return true;
  }
}

export function consumerLine(event: ConsumerEvent, chalk: ChalkInstance, state: ConsumerLineState): string | null {
  switch (event.event) {
    case 'connected':
      return (
        chalk.bold(`Connected to ${event.url}${nodeOf(event)} as ${event.clientId}: `) +
        (event.sessionPresent ? chalk.green('session resumed (session present)') : 'new session (no session present)')
      );
    case 'offline':
      return chalk.yellow(`Connection lost (${describeLinkReason(event.reason)}); reconnecting...`);
    case 'unreachable':
      return chalk.yellow(`Cannot reach ${event.url} (${describeLinkReason(event.reason)}); retrying...`);
    case 'subscribed':
      return `Subscribed to ${event.topic} (QoS ${event.qos})`;
    case 'checkpoint': {
      const where = event.lastValues.map((v) => `${sequenceName(v.topic, v.producerId)} at ${v.value}`).join(', ') || 'no values yet';
      const carried = event.missing > 0 ? `; ${event.missing} missing in earlier runs, still counted (--reset starts afresh)` : '';
      return `Continuing from ${event.path}: ${event.received} received so far, ${where}${carried}`;
    }
    case 'chapter': {
      const earlier = `the earlier one, ${event.earlier.received} received and ${event.earlier.missing} missing,`;
      if (event.reason === 'reset') return chalk.bold('New chapter (--reset): ') + `the accounting in ${event.path} starts afresh (${earlier} is set aside)`;
      return (
        chalk.bold('New chapter: ') +
        `${event.path} holds the accounting of ${event.previous ? brokerText(event.previous) : 'another broker'}; this run is on ${brokerText(event.broker)}, so it starts afresh (${earlier} is not carried forward)`
      );
    }
    case 'session-lost': {
      const where = event.lastValues.map((v) => `${sequenceName(v.topic, v.producerId)} ${v.value}`).join(', ');
      return chalk.red.bold('SESSION LOST: ') + chalk.red(`the broker had no session for ${event.clientId}${where ? ` (last values: ${where})` : ''}: ${causeText['session-lost']}`);
    }
    case 'backlog':
      return chalk.cyan(
        `Backlog: ${event.count} queued value${event.count === 1 ? '' : 's'} arrived on return` +
          (event.longestWaitMs === null ? '' : ` (the oldest waited ${formatDuration(event.longestWaitMs)})`),
      );
    case 'message': {
      let line = `Received message: ${event.value}`;
      if (state.showTopics) line += ` on ${event.topic}`;
      if (event.producerId !== null && state.several(event.producerId)) line += ` from ${event.producerId}`;
      if (event.retained) return chalk.dim(`${line}  (retained: the broker's stored copy, sent at each subscribe; not counted)`);
      if (event.duplicate) return chalk.yellow(`${line}  DUPLICATE (received before; a redelivery)`);
      if (event.outOfOrder) line += chalk.yellow('  (late: out of order)');
      if (event.queued) line += chalk.cyan(`  (queued${event.waitedMs === null ? '' : `, waited ${formatDuration(event.waitedMs)}`})`);
      return line;
    }
    case 'gap':
      return (
        chalk.red.bold(`GAP: ${formatRange(event.from, event.to)} missing (${event.missing} value${event.missing === 1 ? '' : 's'})`) +
        chalk.red(` on ${sequenceName(event.topic, event.producerId)}: ${causeText[event.cause]}`)
      );
    case 'producer-restart':
      return (
        chalk.magenta.bold('PRODUCER RESTART ') +
        chalk.magenta(
          `on ${event.topic}: ${event.producerId === null ? 'a new run' : `${event.producerId} begins a new run`}${event.runId ? ` ${event.runId}` : ''} at ${event.firstValue} (the previous run reached ${event.lastValue})`,
        )
      );
    case 'resume': {
      const where = `Resumed on ${sequenceName(event.topic, event.producerId)}: last value before the restart ${event.lastValue}, first now ${event.firstValue}`;
      return event.missed === 0 ? chalk.green(`${where}: nothing missed`) : chalk.red(`${where}: ${event.missed} missed`);
    }
    case 'shared-topic': {
      const { missing, duplicates, restarts } = event.withdrawn;
      return (
        chalk.yellow.bold('SHARED TOPIC: ') +
        chalk.yellow(
          `several publishers that do not identify themselves seem to share ${event.topic} (its values went back ${event.stepsBack} times in ${event.received}): ` +
            `loss per value cannot be judged there, so no gap, duplicate or restart is counted for it` +
            (missing + duplicates + restarts > 0 ? ` (set aside: ${missing} missing, ${duplicates} duplicates, ${restarts} restarts that its first values seemed to show)` : '') +
            '. To be exact, have each producer name itself: MQTT 5 (the producer-id user property), or --id-in-payload on MQTT 3.1.1',
        )
      );
    }
    case 'invalid': {
      const counted = event.reason === 'bad-path' || event.reason === 'not-an-integer';
      if (counted && !state.firstOf(event.reason === 'bad-path' ? `${event.reason}-${event.role}` : event.reason)) return null;
      const more = counted ? ' (the next ones are counted in the summary)' : '';
      return chalk.yellow(`Ignored a message on ${event.topic}: ${invalidText(event)}${more}`);
    }
    case 'state-in-use':
      return stateInUseLine(event, chalk);
    case 'warning':
      return warningLine(event, chalk);
    case 'nothing-verified':
      return nothingVerifiedLine(event, chalk);
    case 'summary':
      return summaryLines(event, chalk).join('\n');
  }
}
