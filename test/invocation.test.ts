/** Hints name the command as the person started it: npm run in the project, the installed bin, or node with the file. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandLine, commandName, startedAs, type Surroundings } from '../src/cli/invocation.js';
import { packageName } from '../src/cli/package.js';

const project = '/home/me/mqtt-persistent-sessions';

function started(script: string, env: NodeJS.ProcessEnv = {}, cwd = project): Surroundings {
  return { env, script, cwd };
}

describe('how a command was started', () => {
  it('npm run in the project: npm sets the script it runs and the package it belongs to', () => {
    const npm = started(`${project}/dist/bin/broker.js`, { npm_package_name: packageName, npm_lifecycle_event: 'broker' });
    assert.deepEqual(startedAs(npm), { kind: 'npm' });
    assert.equal(commandLine('consumer', '-V 4 --id my-consumer', npm), 'npm run consumer -- -V 4 --id my-consumer');
    assert.equal(commandLine('broker', '', npm), 'npm run broker');
    assert.equal(commandLine('consumer', '--json | head -3', npm), 'npm run -s consumer -- --json | head -3', 'a pipe wants npm quiet');
    assert.equal(commandName('consumer', npm), 'npm run consumer --');
  });

  it('the installed bin, started by its own name (a link to the bundle)', () => {
    const bin = started('/usr/local/bin/mqtt-ps-broker', {}, '/tmp');
    assert.deepEqual(startedAs(bin), { kind: 'bin' });
    assert.equal(commandLine('consumer', '--id my-consumer', bin), 'mqtt-ps-consumer --id my-consumer');
    assert.equal(commandName('broker', bin), 'mqtt-ps-broker');
  });

  it('a script of the same name in another package is not ours to name', () => {
    const theirs = started('/usr/local/bin/mqtt-ps-consumer', { npm_package_name: 'their-app', npm_lifecycle_event: 'consumer' });
    assert.equal(commandLine('broker', '--broker embedded', theirs), 'mqtt-ps-broker --broker embedded');
  });

  it('a command that another one started under npm run (the demo its consumer) names itself by its file', () => {
    const child = started(`${project}/dist/bin/consumer.js`, { npm_package_name: packageName, npm_lifecycle_event: 'demo' });
    assert.equal(startedAs(child).kind, 'node');
    assert.equal(commandLine('consumer', '--id x', child), 'node dist/bin/consumer.js --id x');
  });

  it('node with the bundle: its path as typed from the working folder, or whole from elsewhere', () => {
    const script = `${project}/dist/bin/broker.js`;
    assert.equal(commandLine('consumer', '--id x', started(script)), 'node dist/bin/consumer.js --id x');
    assert.equal(commandLine('consumer', '--id x', started(script, {}, `${project}/dist/bin`)), 'node consumer.js --id x');
    assert.equal(commandLine('consumer', '--id x', started(script, {}, '/tmp')), `node ${project}/dist/bin/consumer.js --id x`);
    assert.equal(commandLine('broker', '', started('/my apps/dist/bin/broker.js', {}, '/tmp')), "node '/my apps/dist/bin/broker.js'", 'quoted for the shell');
  });

  it('node with the sources through tsx', () => {
    assert.equal(commandLine('demo', '--cluster', started(`${project}/src/demo.ts`)), 'node --import tsx src/demo.ts --cluster');
  });
});
