/** The package's own folder and version, found the same way whether it runs from src/ (tsx) or dist/bin/ (built). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';

export { packageRoot };

const manifest = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { name: string; version: string };

export const packageName: string = manifest.name;
export const version: string = manifest.version;

/** This code runs as the built bundles (dist/bin/) rather than as TypeScript through tsx. */
const built = import.meta.url.endsWith('.js');

export type CommandName = 'producer' | 'consumer' | 'broker' | 'demo' | 'report';

/** Node's arguments to run one of the package's commands in the same form as this code: built, or through tsx. */
export function commandArgs(name: CommandName): string[] {
  return built ? [join(packageRoot, 'dist', 'bin', `${name}.js`)] : ['--import', 'tsx', join(packageRoot, 'src', `${name}.ts`)];
}
