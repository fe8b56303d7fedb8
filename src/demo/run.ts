/** Runs the chosen scenarios one after another against one broker and prints each story and verdict. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chalk } from 'chalk';
import { startEmbeddedBroker } from '../brokers/embedded.js';
import { PrivateMosquitto } from '../brokers/mosquitto.js';
import { colorLevel, summaryLines } from '../cli/render.js';
import type { Summary } from '../core/accounting.js';
import { CliError } from '../core/errors.js';
import { ChildCommand } from './processes.js';
import { mosquittoAvailable, stopScenarioBrokers, type Outcome, type Scenario } from './story.js';

export interface DemoBroker {
  url: string;
  description: string;
  close: () => Promise<void>;
}

/** The broker the scenarios share: one already running (url), a private Mosquitto, or the embedded one. */
export async function startDemoBroker(kind: 'embedded' | 'mosquitto', url?: string): Promise<DemoBroker> {
  if (url) return { url, description: 'the running broker', close: async () => {} };
  if (kind === 'mosquitto') {
    if (!mosquittoAvailable()) throw new CliError('Mosquitto is not installed (Debian, Ubuntu: sudo apt-get install mosquitto); without --broker the demo uses the embedded broker');
    const mosquitto = await new PrivateMosquitto().start();
    return { url: mosquitto.url, description: 'a private Mosquitto', close: () => mosquitto.dispose() };
  }
  const embedded = await startEmbeddedBroker(0);
  return { url: embedded.url, description: 'the embedded broker (Aedes)', close: () => embedded.close() };
}

export interface DemoRun {
  /** Runs the scenarios in order; the number that failed. */
  run(chosen: Scenario[], intervalMs: number): Promise<number>;
  /** Stops whatever is still running and removes the scenarios' folder; safe to call more than once. */
  stop(): Promise<void>;
}

export function createDemoRun(broker: DemoBroker, out: (line?: string) => void): DemoRun {
  const chalk = new Chalk({ level: colorLevel() });
  const dir = mkdtempSync(join(tmpdir(), 'mqtt-persistent-sessions-demo-'));
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await ChildCommand.killAll();
      await stopScenarioBrokers();
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    })());

  async function runOne(scenario: Scenario, intervalMs: number): Promise<Outcome> {
    out();
    out(chalk.bold(`== ${scenario.name}: ${scenario.title}`));
    out(`Claim: ${scenario.claim}`);
    if (scenario.needsMosquitto && !mosquittoAvailable()) {
      return { verdict: 'SKIPPED', observed: 'needs Mosquitto, which is not installed (Debian, Ubuntu: sudo apt-get install mosquitto)', facts: {} };
    }
    const tag = `${process.pid}-${Date.now().toString(36)}`;
    return scenario.run({ url: broker.url, intervalMs, dir, tag, say: (line) => out(chalk.dim('  ') + line) });
  }

  async function run(chosen: Scenario[], intervalMs: number): Promise<number> {
    out(chalk.bold(`Broker: ${broker.description} at ${broker.url}`));
    const results: Array<{ scenario: Scenario; outcome: Outcome }> = [];
    for (const scenario of chosen) {
      const outcome = await runOne(scenario, intervalMs);
      const colour = outcome.verdict === 'PASS' ? chalk.green.bold : outcome.verdict === 'FAIL' ? chalk.red.bold : chalk.yellow.bold;
      out(`Observed: ${outcome.observed}`);
      out(colour(outcome.verdict));
      if (outcome.summary) for (const line of summaryLines(outcome.summary as unknown as Summary, chalk)) out(`  ${line}`);
      results.push({ scenario, outcome });
    }
    if (results.length > 1) {
      out();
      out(chalk.bold('Claim'.padEnd(18) + 'Result   Observed'));
      for (const { scenario, outcome } of results) out(`${scenario.name.padEnd(18)}${outcome.verdict.padEnd(9)}${outcome.observed}`);
    }
    return results.filter((r) => r.outcome.verdict === 'FAIL').length;
  }

  return { run, stop };
}
