/** --nodes, as the demo and the broker command take it. */
import { InvalidArgumentError, Option } from 'commander';

/** What --nodes asks for: a number is that many nodes the command starts itself. */
export interface NodesRequest {
  start: number;
}

export function parseNodes(max: number): (raw: string) => NodesRequest {
  return (raw: string) => {
    const text = raw.trim();
    if (!/^\d+$/.test(text)) throw new InvalidArgumentError(`give a number of nodes, from 1 to ${max}.`);
    const start = Number(text);
    if (start < 1 || start > max) throw new InvalidArgumentError(`the number of nodes must be from 1 to ${max}.`);
    return { start };
  };
}

export function nodesOption(max: number, description: string): Option {
  return new Option('--nodes <n>', description).argParser(parseNodes(max));
}
