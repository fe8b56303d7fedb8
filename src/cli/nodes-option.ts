/** --nodes, as the demo and the broker command take it. */
import { InvalidArgumentError, Option } from 'commander';

/** What --nodes asks for: a number is that many nodes the command starts itself; anything else, the demo reads as a file describing the user's own nodes. */
export type NodesRequest = { start: number } | { file: string };

export function parseNodes(max: number, fileToo = false): (raw: string) => NodesRequest {
  return (raw: string) => {
    const text = raw.trim();
    if (!/^\d+$/.test(text)) {
      if (fileToo && text !== '') return { file: text };
      throw new InvalidArgumentError(`give a number of nodes, from 1 to ${max}.`);
    }
    const start = Number(text);
    if (start < 1 || start > max) throw new InvalidArgumentError(`the number of nodes must be from 1 to ${max}.`);
    return { start };
  };
}

/** fileToo: a value that is not a number is a file (the demo's --nodes FILE). */
export function nodesOption(max: number, description: string, fileToo = false): Option {
  return new Option(fileToo ? '--nodes <n|file>' : '--nodes <n>', description).argParser(parseNodes(max, fileToo));
}
