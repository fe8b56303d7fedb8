#!/usr/bin/env node
/** The demo: the article's claims replayed unattended against a broker, each with PASS or FAIL. */
import { commandLine } from './cli/invocation.js';
import { counted } from './cli/format.js';
import { onInterrupt, parseArguments } from './cli/program.js';
import { onOutputClosed, runCommand } from './cli/run.js';
import { CliError, ExitCode } from './core/errors.js';
import { demoPlan, demoProgram } from './demo/command.js';
import { createDemoRun, nodesFileBroker, startDemoBroker, stopScenarios, type ScenarioResult } from './demo/run.js';
import { reportCard } from './demo/report-card.js';

const program = demoProgram();

runCommand('demo', async () => {
  if (!parseArguments(program, process.argv)) return ExitCode.ok;
  const plan = demoPlan(program);
  const out = (line = ''): void => void process.stdout.write(`${line}\n`);
  if (plan.mode === 'report-card') {
    onInterrupt(() => void stopScenarios(out).then(() => process.exit(130)));
    const card = await reportCard(plan.url, plan.protocolVersion, plan.interval, out);
    const failed = card.claims.filter((result) => result.outcome.verdict === 'FAIL').length;
    if (failed > 0) throw new CliError(`${failed} of ${card.claims.length} claims failed on this broker`);
    return ExitCode.ok;
  }
  if (plan.mode === 'random') {
    const { randomDemo } = await import('./demo/random-run.js');
    const lost = await randomDemo(plan, out, (stop) => {
      onInterrupt(() => void stop().then(() => process.exit(130)));
      onOutputClosed(() => void stop().then(() => process.exit(ExitCode.ok)));
    });
    if (lost > 0) throw new CliError(`${counted(lost, 'acknowledged value')} ${lost === 1 ? 'was' : 'were'} lost`);
    return ExitCode.ok;
  }
  const faults = plan.chosen.some((scenario) => scenario.needsCluster);
  const broker = !plan.broker
    ? undefined
    : plan.broker.kind === 'nodes'
      ? nodesFileBroker(plan.broker.file, plan.protocolVersion)
      : await startDemoBroker(plan.broker.kind, plan.broker.nodes, plan.broker.url, plan.protocolVersion, faults);
  const demo = createDemoRun(broker, out, plan.ownFaultNodes, plan.history);
  onInterrupt(() => void demo.stop().then(() => process.exit(130)));
  onOutputClosed(() => void demo.stop().then(() => process.exit(ExitCode.ok)));
  let results: ScenarioResult[];
  try {
    results = await demo.run(plan.chosen, plan.interval);
  } finally {
    await demo.stop();
  }
  if (plan.html) (await import('./demo/page.js')).writeScenarioPage(plan.html, results, `Run on ${broker?.description ?? `a NATS cluster of ${plan.ownFaultNodes} nodes`}`, commandLine('demo', process.argv.slice(2).join(' ')));
  const failed = results.filter((result) => result.outcome.verdict === 'FAIL').length;
  if (failed > 0) throw new CliError(`${failed} of ${plan.chosen.length} scenarios failed`);
  return ExitCode.ok;
});
