/**
 * Builds the installable commands: each bin bundled with its dependencies into dist/bin/NAME.js, the
 * code a command needs only once its options are parsed split into chunks loaded on demand, so that
 * --help and --version load little and the installed package needs nothing from the registry. The
 * licences of the bundled packages go beside them.   npm run build
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';

const root = join(import.meta.dirname, '..');
const commands = ['producer', 'consumer', 'broker', 'demo', 'report'];
const outdir = join(root, 'dist', 'bin');

/**
 * Commander loads child_process (with net and dgram) at its start, for subcommands that run other
 * executables, which these commands have none of: in the bundle it is loaded when first used.
 */
const childProcessWhenUsed: Plugin = {
  name: 'child-process-when-used',
  setup(build) {
    build.onResolve({ filter: /^node:child_process$/ }, (args) => (args.importer.includes(`${join('node_modules', 'commander')}`) ? { path: 'child_process', namespace: 'when-used' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'when-used' }, () => ({
      contents: "let loaded; const module_ = () => (loaded ??= require('node:child_process')); module.exports = new Proxy({}, { get: (_, name) => module_()[name] });",
      loader: 'js',
    }));
  },
};

/** mqtt-packet's and MQTT.js's `debug` is src/mqtt/quiet-debug.cjs, which hands over the package only when DEBUG is set. */
const quietDebug: Plugin = {
  name: 'quiet-debug',
  setup(build) {
    const shim = join(root, 'src', 'mqtt', 'quiet-debug.cjs');
    build.onResolve({ filter: /^debug$/ }, (args) => (args.importer === shim ? undefined : { path: shim }));
  },
};

/**
 * mqtt-packet's parser reads each received byte through bl, which slices a Buffer for every read: it gets
 * src/mqtt/direct-reads.ts instead, bl's own list with those reads made in place.
 */
const directReads: Plugin = {
  name: 'direct-reads',
  setup(build) {
    const list = join(root, 'src', 'mqtt', 'direct-reads.ts');
    build.onResolve({ filter: /^bl$/ }, (args) => (args.importer.includes(join('node_modules', 'mqtt-packet')) ? { path: 'bl', namespace: 'direct-reads' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'direct-reads' }, () => ({
      contents: `const { DirectReadList } = require(${JSON.stringify(list)}); module.exports = (data) => new DirectReadList(data);`,
      loader: 'js',
      resolveDir: root,
    }));
  },
};

rmSync(outdir, { recursive: true, force: true });
const inputs = new Set<string>();
// One build per command: its --help loads one file and the chunks only it shares with its own
// lazily loaded parts, rather than the many small chunks that code shared between commands is split into.
for (const name of commands) {
  const result = await build({
    entryPoints: [{ in: join(root, 'src', `${name}.ts`), out: name }],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    chunkNames: `chunks/${name}/[name]-[hash]`,
    // The bundled CommonJS dependencies call require() for Node's own modules (MQTT.js) and read
    // __filename (write-file-atomic names its temporary files with it).
    banner: {
      js: [
        "import { createRequire as __createRequire } from 'node:module';",
        "import { fileURLToPath as __fileURLToPath } from 'node:url';",
        'const require = __createRequire(import.meta.url);',
        'const __filename = __fileURLToPath(import.meta.url);',
      ].join(' '),
    },
    plugins: [childProcessWhenUsed, quietDebug, directReads],
    legalComments: 'none',
    // Without comments or indentation a chunk is about 40% smaller, and stays ASCII: V8 keeps the source
    // of every loaded file in memory, as two bytes a character once one character in it is not ASCII
    // (MQTT.js's chunk held 1.9 MB for 0.95 MB of text, for a dash in a comment).
    minifyWhitespace: true,
    metafile: true,
    logLevel: 'warning',
  });
  for (const input of Object.keys(result.metafile.inputs)) inputs.add(input);
}

/** Every package whose code went into the bundles, with its licence text. */
const packages = new Map<string, string>();
for (const input of inputs) {
  const match = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input);
  if (!match || packages.has(match[2]!)) continue;
  const folder = join(root, match[1]!);
  const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { version: string; license?: string };
  const licenceFile = readdirSync(folder).find((name) => /^(licen[cs]e|copying)/i.test(name));
  const text = licenceFile && existsSync(join(folder, licenceFile)) ? readFileSync(join(folder, licenceFile), 'utf8').trim() : `License: ${manifest.license ?? 'see the package'}`;
  packages.set(match[2]!, `${match[2]}@${manifest.version}\n\n${text}\n`);
}
const notices = [...packages.keys()].sort().map((name) => packages.get(name)!);
writeFileSync(join(outdir, 'THIRD-PARTY-LICENSES.txt'), `The commands in this folder include the following packages.\n\n${notices.join(`\n${'-'.repeat(72)}\n\n`)}`);
