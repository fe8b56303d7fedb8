/** The lint rules that keep each layer in its room, tried on import lines. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import { packageRoot } from '../src/cli/package.js';

/** The rules that lint reports for this source at this path. */
async function restrictedImports(path: string, source: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: packageRoot });
  const [result] = await eslint.lintText(source, { filePath: path });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('the demo uses of the command line only its public surface', () => {
  it("a renderer's internals are refused, at any depth under src/demo", async () => {
    assert.equal((await restrictedImports('src/demo/run.ts', "import { summaryLines } from '../cli/summary-lines.js';\n")).length, 1);
    assert.equal((await restrictedImports('src/demo/scenarios/cluster/x.ts', "import { formatSeconds } from '../../../cli/format.js';\n")).length, 1);
    assert.equal((await restrictedImports('src/demo/run.ts', "import { createConsumerRenderer } from '../cli/render.js';\n")).length, 1);
  });

  it('output.js, and how the commands are started, are allowed', async () => {
    const source = "import { summaryLines } from '../cli/output.js';\nimport { commandArgs } from '../cli/package.js';\nimport { commandLine } from '../cli/invocation.js';\n";
    assert.deepEqual(await restrictedImports('src/demo/run.ts', source), []);
  });
});
