/** The words of warnings and notices, which the producer and the consumer share. */
import type { ChalkInstance } from 'chalk';
import type { InvalidReason, StateInUseEvent, Warning } from '../core/events.js';
import { explainRefusal } from '../core/reasons.js';
import { formatDuration } from './format.js';

/** What a warning says, after "Warning: ". */
export function warningText(warning: Warning): string {
  switch (warning.code) {
    case 'insecure-tls':
      return "--insecure: the broker's certificate is NOT checked; anyone on the path can pretend to be the broker and read or change every message";
    case 'session-expiry-zero':
      return 'a session expiry of 0 ends the session at every disconnect: nothing is kept while away (use -x 3600)';
    case 'subscription-retry':
      return (
        `subscription to ${warning.topic} refused: ${explainRefusal(warning.reasonCode)}; a cluster may refuse while it recovers from a lost node: ` +
        `trying again in ${warning.retryInMs / 1000} s (attempt ${warning.attempt} of ${warning.attempts})`
      );
    case 'malformed-property': {
      const value = warning.value === null ? '' : ` ${JSON.stringify(warning.value)}`;
      return `malformed ${warning.property} user property${value} on ${warning.topic}: ignored (the value is still counted)`;
    }
  }
}

/** Warnings about the command's own settings go to stderr, in both output modes, before anything else is said. */
export function isSettingWarning(warning: Warning): boolean {
  return warning.code === 'insecure-tls';
}

export function warningLine(warning: Warning, chalk: ChalkInstance): string {
  return chalk.yellow(`Warning: ${warningText(warning)}`);
}

/** Why a message was ignored, after "Ignored a message on TOPIC: ". */
export function invalidText(invalid: InvalidReason): string {
  switch (invalid.reason) {
    case 'not-a-value': {
      const shown = invalid.truncated ? `${invalid.payload}...` : invalid.payload;
      return `not a counter value (a whole number from 0, or "producer-id:number", as the producer sends): ${JSON.stringify(shown)}`;
    }
    case 'too-large':
      return `payload of ${invalid.bytes} bytes is larger than ${invalid.limit}`;
  }
}

export function stateInUseLine(event: StateInUseEvent, chalk: ChalkInstance): string {
  return chalk.yellow(`${event.path} is in use by process ${event.pid}: waiting up to ${formatDuration(event.waitMs)} for it to end`);
}
