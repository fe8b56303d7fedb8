/**
 * The user's own cluster (`demo --nodes FILE`): a JSON file listing its nodes, each with the URL clients
 * connect to and, for each action of the node-control protocol it supports, a shell command (run with
 * `sh -c`). An action left out makes the scenarios that need it not applicable.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { nodeActions, type ControlledCluster, type NodeAction, type NodeControl } from '../brokers/node-control.js';
import { waitForMqttSession } from '../brokers/ready.js';
import { UsageError } from '../core/errors.js';

/** The fewest nodes the fault scenarios need: one faulted, a majority left. */
const fewestNodes = 3;

/** How long one command may run (a container started, a unit stopped). */
const commandTimeoutMs = 120_000;

/** How long a node started again may take to accept a session. */
const startTimeoutMs = 120_000;

const command = z.string().trim().min(1, 'a command cannot be empty');

const nodeEntry = z.strictObject({
  url: z.url({ protocol: /^mqtts?$/, error: 'give a URL such as mqtt://host:1883' }),
  ...Object.fromEntries(nodeActions.map((action) => [action, command.optional()])),
});

const nodesFile = z.strictObject({
  nodes: z.array(nodeEntry).min(fewestNodes, `the fault scenarios need ${fewestNodes} nodes or more`),
});

/** One line naming where the file is wrong. */
function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const where = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('');
  return `${where ? `${where.replace(/^\./, '')}: ` : ''}${issue.message}`;
}

/** Reads and checks the file; a UsageError of one line when it cannot be read or is not valid. */
export function readNodesFile(path: string): ControlledCluster {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--nodes ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--nodes ${path}: not JSON (${(error as Error).message})`);
  }
  const parsed = nodesFile.safeParse(json);
  if (!parsed.success) throw new UsageError(`--nodes ${path}: ${firstIssue(parsed.error)}`);
  return new CommandCluster(path, parsed.data.nodes as Array<{ url: string } & Partial<Record<NodeAction, string>>>);
}

/** Runs a node's command with `sh -c`; rejects with its status and the last line of its stderr. */
export function runNodeCommand(what: string, line: string, timeoutMs = commandTimeoutMs): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', line], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4096)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => reject(new Error(`${what} could not run: ${error.message}`)));
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      const last = stderr.trim().split('\n').at(-1) ?? '';
      const how = signal === 'SIGKILL' ? `took longer than ${timeoutMs / 1000} s` : `failed (status ${String(code ?? signal)})`;
      reject(new Error(`${what} ${how}${last ? `: ${last}` : ''}`));
    });
  });
}

class CommandCluster implements ControlledCluster {
  readonly nodes: NodeControl[];
  readonly byCommands = true;
  /** Nodes this demo killed or stopped and has not started again: not waited for. */
  private readonly down = new Set<number>();

  constructor(
    private readonly path: string,
    entries: Array<{ url: string } & Partial<Record<NodeAction, string>>>,
  ) {
    this.nodes = entries.map((entry, i) => this.control(i + 1, entry));
  }

  get description(): string {
    return `the ${this.nodes.length} nodes of ${this.path}`;
  }

  get unavailable(): Partial<Record<NodeAction, string>> {
    return Object.fromEntries(nodeActions.map((action) => [action, `${this.path} gives no '${action}' command for every node`]));
  }

  async waitUntilReady(timeoutMs = 60_000): Promise<void> {
    await Promise.all(
      this.nodes.map((node, i) => (this.down.has(i + 1) ? undefined : waitForMqttSession(node.url, `ready-probe-${i + 1}`, timeoutMs, `node ${i + 1}`))),
    );
  }

  private control(index: number, entry: { url: string } & Partial<Record<NodeAction, string>>): NodeControl {
    const node: { -readonly [K in keyof NodeControl]: NodeControl[K] } = { url: entry.url };
    for (const action of nodeActions) {
      const line = entry[action];
      if (line === undefined) continue;
      const run = (): Promise<void> => runNodeCommand(`node ${index}'s ${action} command`, line);
      if (action === 'start') {
        node.start = async (readyTimeoutMs = startTimeoutMs) => {
          await run();
          this.down.delete(index);
          await waitForMqttSession(entry.url, `ready-probe-${index}`, readyTimeoutMs, `node ${index}`);
        };
      } else if (action === 'kill' || action === 'stop') {
        node[action] = async () => {
          await run();
          this.down.add(index);
        };
      } else {
        node[action] = run;
      }
    }
    return node;
  }
}
