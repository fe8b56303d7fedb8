/** The words of warnings and notices, which the producer and the consumer share. */
import type { ChalkInstance } from 'chalk';
import type { Totals } from '../core/counts.js';
import type { InvalidReason, NothingVerifiedEvent, StateInUseEvent, Warning } from '../core/events.js';
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
    case 'bad-path': {
      const what = invalid.role === 'value' ? 'no value' : 'no producer id';
      const found = invalid.found === null ? '' : ` (it holds ${JSON.stringify(invalid.found)})`;
      const payload = invalid.truncated ? `${invalid.payload}...` : invalid.payload;
      return `${what} at ${placeText(invalid)}${found}: ${JSON.stringify(payload)}`;
    }
    case 'not-an-integer':
      return `${placeText(invalid)} holds ${JSON.stringify(invalid.found)}, not a whole number from 0`;
  }
}

/** "--value-field reading.seq", "--producer-property device": the option that pointed there. */
export function placeText(place: { role?: 'value' | 'producer'; source: 'field' | 'property'; name: string }): string {
  return `--${place.role ?? 'value'}-${place.source} ${place.name}`;
}

export function stateInUseLine(event: StateInUseEvent, chalk: ChalkInstance): string {
  return chalk.yellow(`${event.path} is in use by process ${event.pid}: waiting up to ${formatDuration(event.waitMs)} for it to end`);
}

/** Messages came and none held a value: why, and where to look. */
export function nothingVerifiedLine(event: NothingVerifiedEvent, chalk: ChalkInstance): string {
  const reasons = [
    event.invalid > 0 ? `${event.invalid} not a counter value` : '',
    event.badPaths > 0 ? `${event.badPaths} with nothing at the path` : '',
    event.nonIntegers > 0 ? `${event.nonIntegers} not a whole number there` : '',
  ].filter((reason) => reason !== '');
  const hint =
    event.valueOption === null
      ? 'see --value-field (a field of a JSON payload) or --value-property (an MQTT 5 user property)'
      : `check ${placeText({ source: event.valueOption.source, name: event.valueOption.name })} against the payloads shown above`;
  const messages = event.messages === 1 ? '1 message' : `${event.messages} messages`;
  return chalk.red.bold('NOTHING VERIFIED: ') + chalk.red(`${messages}, none with a value to check (${reasons.join(', ')}): ${hint}`);
}

/** The summary's count of messages whose value or producer was not where the options point, with the first one. */
export function unreadableLines(counts: Pick<Totals, 'badPaths' | 'nonIntegers'>, chalk: ChalkInstance): string[] {
  const lines: string[] = [];
  const { badPaths, nonIntegers } = counts;
  if (badPaths.count > 0 && badPaths.example) {
    const e = badPaths.example;
    const found = e.found === null ? 'nothing there' : `it held ${JSON.stringify(e.found)}`;
    const messages = badPaths.count === 1 ? '1 message' : `${badPaths.count} messages`;
    lines.push(chalk.yellow(`Bad path: ${messages} without a ${e.role} at the path given (the first on ${e.topic}: ${placeText(e)}, ${found})`));
  }
  if (nonIntegers.count > 0 && nonIntegers.example) {
    const e = nonIntegers.example;
    const values = nonIntegers.count === 1 ? '1 value that is' : `${nonIntegers.count} values that are`;
    lines.push(chalk.yellow(`Not an integer: ${values} no whole number from 0 (the first on ${e.topic}: ${placeText(e)} held ${JSON.stringify(e.found)})`));
  }
  return lines;
}
