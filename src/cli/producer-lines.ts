/** The producer's events in words, one line each. */
import type { ChalkInstance } from 'chalk';
import type { ProducerEvent } from '../core/events.js';
import { nodeOf } from './format.js';
import { stateInUseLine, warningLine } from './notices.js';
import { describeLinkReason } from '../core/reasons.js';

export function producerLine(event: ProducerEvent, chalk: ChalkInstance): string | null {
  switch (event.event) {
    case 'connected':
      return chalk.bold(`Connected to ${event.url}${nodeOf(event)} as ${event.clientId}`);
    case 'offline':
      return chalk.yellow(`Connection lost (${describeLinkReason(event.reason)}); still counting, values are kept until the broker is back`);
    case 'unreachable':
      return chalk.yellow(`Cannot reach ${event.url} (${describeLinkReason(event.reason)}); still counting, values are kept until the broker is back`);
    case 'sent':
      return event.again ? `Sent: ${event.value} ${chalk.dim('(again)')}` : `Sent: ${event.value}`;
    case 'acknowledged':
      // Every value is acknowledged in the normal run: a line each would drown the others.
      return null;
    case 'kept':
      return chalk.yellow(`Kept: ${event.value} (broker unreachable; ${event.pending} values waiting)`);
    case 'state':
      return `Continuing from ${event.path}: run ${event.runId}, next value ${event.nextValue}, ${event.pending} not yet ${event.qos === 0 ? 'sent' : 'acknowledged'}`;
    case 'state-in-use':
      return stateInUseLine(event, chalk);
    case 'warning':
      return warningLine(event, chalk);
    case 'producer-summary': {
      const last = event.lastValue === null ? '' : `, last value ${event.lastValue}`;
      if (event.acknowledged === null) {
        return chalk.bold(`Summary: ${event.sent} sent at QoS 0 (no acknowledgement at QoS 0)${event.pending > 0 ? `, ${event.pending} not sent` : ''}`) + last;
      }
      return chalk.bold(`Summary: ${event.sent} sent, ${event.acknowledged} acknowledged, ${event.pending} not acknowledged`) + last;
    }
  }
}
