#!/usr/bin/env node
/** The demo: the article's claims replayed unattended against a broker, each with PASS or FAIL. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chalk } from 'chalk';
import { Option } from 'commander';
import { ChildCommand } from './child-command.js';
import { createProgram, integerIn, onInterrupt, parseArguments } from './cli.js';
import { startEmbeddedBroker } from './embedded-broker.js';
import { CliError, ExitCode, UsageError, runCommand } from './errors.js';
import { PrivateMosquitto } from './mosquitto.js';
import { colorLevel, summaryLines } from './render.js';
import { findScenario, mosquittoAvailable, scenarios, stopScenarioBrokers, type Outcome, type Scenario } from './scenarios.js';
import type { Summary } from './tracker.js';

interface DemoOptions {
  broker: 'embedded' | 'mosquitto';
  url?: string;
  scenario: string;
  all?: boolean;
  interval: number;
  realTime?: boolean;
}

const program = createProgram('demo', "Replay the tutorial and the article's claims against a broker, unattended, with PASS or FAIL for each.", [
  'npm run demo                                  # the tutorial on the embedded broker',
  'npm run demo -- --all                         # every claim of the article',
  'npm run demo -- --all --broker mosquitto      # the same on a private Mosquitto',
  'npm run demo -- --scenario qos0 --real-time   # one claim, one value a second',
  'npm run demo -- --url mqtt://localhost:1883   # against a broker that is already running',
])
  .addOption(new Option('--broker <kind>', 'broker to start: embedded (Aedes, in this process) or mosquitto (a private one on a free port)').choices(['embedded', 'mosquitto']).default('embedded'))
  .addOption(new Option('-L, --url <url>', 'use this running broker instead of starting one'))
  .addOption(new Option('--scenario <name>', `one claim: ${scenarios.map((s) => s.name).join(', ')}`).default('persistent'))
  .addOption(new Option('--all', 'run every scenario'))
  .addOption(new Option('--interval <ms>', 'milliseconds between values (the tutorial uses 1000)').argParser(integerIn(10, 10_000, 'the interval')).default(100))
  .addOption(new Option('--real-time', 'one value a second, as in the tutorial (slower)'))
  .addHelpText('after', '\nExit status: 0 every scenario passed (or was skipped), 1 a scenario failed, 2 invalid usage.\n');

runCommand('demo', async () => {
  if (!parseArguments(program, process.argv)) return ExitCode.ok;
  const options = program.opts<DemoOptions>();
  const chosen: Scenario[] = options.all ? scenarios : [findScenario(options.scenario) ?? unknownScenario(options.scenario)];
  const chalk = new Chalk({ level: colorLevel() });
  const out = (line = ''): void => void process.stdout.write(`${line}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'mqtt-persistent-sessions-demo-'));
  const broker = await startBroker(options);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await ChildCommand.killAll();
      await stopScenarioBrokers();
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    })());
  onInterrupt(() => void stop().then(() => process.exit(130)));
  // A reader that stops early (| head): tidy up and end quietly, as a program ended by SIGPIPE would.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') void stop().then(() => process.exit(141));
  });
  out(chalk.bold(`Broker: ${broker.description} at ${broker.url}`));
  const results: Array<{ scenario: Scenario; outcome: Outcome }> = [];
  try {
    for (const scenario of chosen) {
      out();
      out(chalk.bold(`== ${scenario.name}: ${scenario.title}`));
      out(`Claim: ${scenario.claim}`);
      let outcome: Outcome;
      if (scenario.needsMosquitto && !mosquittoAvailable()) {
        outcome = { verdict: 'SKIPPED', observed: 'needs Mosquitto, which is not installed (Debian, Ubuntu: sudo apt-get install mosquitto)' };
      } else {
        const intervalMs = options.realTime ? 1000 : options.interval;
        const tag = `${process.pid}-${Date.now().toString(36)}`;
        outcome = await scenario.run({ url: broker.url, intervalMs, dir, tag, say: (line) => out(chalk.dim('  ') + line) });
      }
      const colour = outcome.verdict === 'PASS' ? chalk.green.bold : outcome.verdict === 'FAIL' ? chalk.red.bold : chalk.yellow.bold;
      out(`Observed: ${outcome.observed}`);
      out(colour(outcome.verdict));
      if (outcome.summary) for (const line of summaryLines(outcome.summary as unknown as Summary, chalk)) out(`  ${line}`);
      results.push({ scenario, outcome });
    }
  } finally {
    await stop();
  }
  if (results.length > 1) {
    out();
    out(chalk.bold('Claim'.padEnd(18) + 'Result   Observed'));
    for (const { scenario, outcome } of results) out(`${scenario.name.padEnd(18)}${outcome.verdict.padEnd(9)}${outcome.observed}`);
  }
  const failed = results.filter((r) => r.outcome.verdict === 'FAIL').length;
  if (failed > 0) throw new CliError(`${failed} of ${results.length} scenarios failed`);
  return ExitCode.ok;
});

function unknownScenario(name: string): never {
  throw new UsageError(`unknown scenario '${name}': choose one of ${scenarios.map((s) => s.name).join(', ')}`);
}

async function startBroker(options: DemoOptions): Promise<{ url: string; description: string; close: () => Promise<void> }> {
  if (options.url) return { url: options.url, description: 'the running broker', close: async () => {} };
  if (options.broker === 'mosquitto') {
    if (!mosquittoAvailable()) throw new CliError('Mosquitto is not installed (Debian, Ubuntu: sudo apt-get install mosquitto); without --broker the demo uses the embedded broker');
    const mosquitto = await new PrivateMosquitto().start();
    return { url: mosquitto.url, description: 'a private Mosquitto', close: () => mosquitto.dispose() };
  }
  const embedded = await startEmbeddedBroker(0);
  return { url: embedded.url, description: 'the embedded broker (Aedes)', close: () => embedded.close() };
}
