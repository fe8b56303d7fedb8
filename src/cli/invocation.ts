/**
 * How the person started this command, decided once, so that every hint names a command they can
 * type: `npm run NAME -- ...` in the project folder, the installed bin `mqtt-ps-NAME ...`, or
 * `node PATH ...` for a bundle (or a source file through tsx) run directly.
 */
import { basename, dirname, extname, isAbsolute, join, relative } from 'node:path';
import { packageName, type CommandName } from './package.js';

export type StartedAs = { kind: 'npm' } | { kind: 'bin' } | { kind: 'node'; folder: string; extension: string };

/** What the decision reads: npm's variables, the script node runs (argv[1]) and the working folder. */
export interface Surroundings {
  env: NodeJS.ProcessEnv;
  script: string;
  cwd: string;
}

const here = (): Surroundings => ({ env: process.env, script: process.argv[1] ?? '', cwd: process.cwd() });

export function startedAs({ env, script }: Surroundings = here()): StartedAs {
  const file = basename(script);
  const extension = extname(file);
  const own = file.slice(0, file.length - extension.length).replace(/^mqtt-ps-/, '');
  // npm run sets both for the script it runs; a command that one of ours started inherits another's name.
  if (env.npm_package_name === packageName && env.npm_lifecycle_event === own) return { kind: 'npm' };
  if (file.startsWith('mqtt-ps-')) return { kind: 'bin' };
  return { kind: 'node', folder: dirname(script), extension };
}

/** A path as short as it stays true: relative to the working folder when inside it, quoted when the shell needs it. */
function shownPath(path: string, cwd: string): string {
  const inside = relative(cwd, path);
  const shown = inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside : path;
  return /^[\w./-]+$/.test(shown) ? shown : `'${shown.replace(/'/g, `'\\''`)}'`;
}

/** The words that start a command of this package, as this one was started ("npm run consumer --"). */
export function commandName(name: CommandName, surroundings: Surroundings = here()): string {
  const how = startedAs(surroundings);
  if (how.kind === 'npm') return `npm run ${name} --`;
  if (how.kind === 'bin') return `mqtt-ps-${name}`;
  const loader = how.extension === '.ts' ? '--import tsx ' : '';
  return `node ${loader}${shownPath(join(how.folder, `${name}${how.extension}`), surroundings.cwd)}`;
}

/** A whole command line to type: this package's command NAME with args, started as this one was. */
export function commandLine(name: CommandName, args: string, surroundings: Surroundings = here()): string {
  if (startedAs(surroundings).kind === 'npm') {
    // npm prints a banner of its own on stdout unless -s: a pipe wants the command's output alone.
    return `npm run ${args.includes('|') ? '-s ' : ''}${name}${args ? ` -- ${args}` : ''}`;
  }
  return `${commandName(name, surroundings)}${args ? ` ${args}` : ''}`;
}
