import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { UsageError } from '../core/errors.js';
import { commandLine, commandName } from './invocation.js';
import { version, type CommandName } from './package.js';

/** One line of --help's examples: what follows the command, and what it does. */
export interface Example {
  args: string;
  note: string;
  /** Variables set before the command, e.g. "MQTT_PASSWORD=choose-one". */
  env?: string;
}

/** A commander program with the behaviour every command here shares. */
export function createProgram(name: CommandName, description: string, examples: Example[]): Command {
  const lines = examples.map((example) => `${example.env ? `${example.env} ` : ''}${commandLine(name, example.args)}`);
  const width = Math.max(...lines.map((line) => line.length)) + 2;
  const program = new Command(commandName(name))
    .description(description)
    .version(version, '--version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help and exit')
    .showHelpAfterError(false)
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ outputError: () => {} });
  const shown = lines.map((line, i) => `  ${line.padEnd(width)}# ${examples[i]!.note}`);
  program.addHelpText('after', `\nExamples:\n${shown.join('\n')}\n`);
  return program;
}

/**
 * Parses argv; returns false when --help or --version already answered.
 * Usage errors become a UsageError whose message is commander's, without its prefix.
 */
export function parseArguments(program: Command, argv: string[]): boolean {
  try {
    program.parse(argv);
    return true;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return false;
      throw new UsageError(error.message.replace(/^error: /, ''));
    }
    throw error;
  }
}

export function integerIn(min: number, max: number, what: string): (raw: string) => number {
  return (raw: string) => {
    const text = raw.trim();
    if (!/^-?\d+$/.test(text)) throw new InvalidArgumentError(`${what} must be a whole number.`);
    const value = Number(text);
    if (value < min || value > max) {
      throw new InvalidArgumentError(`${what} must be from ${min} to ${max}.`);
    }
    return value;
  };
}

export const parseQos = (raw: string): 0 | 1 | 2 => {
  if (raw !== '0' && raw !== '1' && raw !== '2') throw new InvalidArgumentError('QoS must be 0, 1 or 2.');
  return Number(raw) as 0 | 1 | 2;
};

export function qosOption(defaultQos: 0 | 1 | 2): Option {
  return new Option('-q, --qos <level>', 'quality of service: 0, 1 or 2').argParser(parseQos).default(defaultQos);
}

/**
 * Ctrl+C (or SIGTERM) asks for a clean stop; a second one exits at once. The listeners stay installed
 * so that libraries watching signals (to tidy temporary files) do not end the process themselves.
 */
export function onInterrupt(stop: () => void): void {
  let asked = false;
  const handler = (): void => {
    if (asked) process.exit(130);
    asked = true;
    stop();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
