/**
 * The report card of a broker given by URL: the article's claims that need no control of the broker
 * (no restart, no node to kill, no settings to choose), then the probes of what it grants, how long it
 * keeps an offline session, how much of a backlog, and whether it shares a subscription; a table of both at the end.
 */
import { probeFinding, probeName } from '../cli/output.js';
import { acceptedVersions, type ProbeResult } from '../core/probe-facts.js';
import { probeProtocols, probeQos2, probeQueue, probeSessionLifetime } from './probes.js';
import { probeSharedSubscription } from './shared-probe.js';
import { createDemoRun, type ScenarioResult } from './run.js';
import { scenarios } from './scenarios.js';
import { maskUrls } from '../mqtt/settings.js';

export interface ReportCard {
  claims: ScenarioResult[];
  probes: ProbeResult[];
}

/** The claims a report card runs: those that bring no broker of their own and stop or kill no node. */
export const reportCardScenarios = scenarios.filter((scenario) => !scenario.needsMosquitto && !scenario.needsCluster && !scenario.needsStartedBroker);

export async function reportCard(url: string, asked: 4 | 5, intervalMs: number, out: (line?: string) => void): Promise<ReportCard> {
  out(`Report card of ${maskUrls(url)}`);
  const protocols = await probeProtocols(url.split(',')[0]!);
  out(`Protocol versions: ${probeFinding(protocols)}`);
  const versions = acceptedVersions(protocols.facts);
  if (versions.length === 0) throw new Error(`${url.split(',')[0]} accepts neither MQTT 5 nor 3.1.1: ${probeFinding(protocols)}`);
  const version = versions.includes(asked) ? asked : versions[0]!;
  if (version !== asked) out(`It refused MQTT ${asked === 5 ? '5' : '3.1.1'}: the claims run on MQTT ${version === 5 ? '5' : '3.1.1'}.`);
  const demo = createDemoRun({ url, description: 'the broker under test', target: { kind: 'url', nodes: 1, protocolVersion: version }, close: async () => {} }, out);
  let claims: ScenarioResult[];
  try {
    claims = await demo.run(reportCardScenarios, intervalMs);
  } finally {
    await demo.stop();
  }
  const first = url.split(',')[0]!;
  const probes: ProbeResult[] = [protocols];
  const runs: Array<[string, () => Promise<ProbeResult>]> = [
    ['QoS 2', () => probeQos2(first, version)],
    ['session lifetime', () => probeSessionLifetime(first, version)],
    ['backlog', () => probeQueue(first, version)],
    ['shared subscription', () => probeSharedSubscription(first, version)],
  ];
  for (const [name, probe] of runs) {
    const result = await probe().catch((error: Error): ProbeResult => ({ probe: 'failed', facts: { name, error: error.message } }));
    out(`${probeName(result)}: ${probeFinding(result)}`);
    probes.push(result);
  }
  out();
  const width = Math.max(...probes.map((probe) => probeName(probe).length)) + 2;
  out('Probe'.padEnd(width) + 'Finding');
  for (const probe of probes) out(`${probeName(probe).padEnd(width)}${probeFinding(probe)}`);
  return { claims, probes };
}
