import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BERTH_NODE_FLAGS, BERTH_SHEBANG } from './node-flags.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/berth.cjs');

describe("the berth executable's node flags", () => {
  it("are the checkout's bin/berth.cjs first line", async () => {
    expect((await readFile(BIN, 'utf8')).split('\n')[0]).toBe(BERTH_SHEBANG);
  });

  it('reach node when the executable is run directly', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'berth-flags-'));
    try {
      // Preloaded before the CLI: prints the flags node was started with, and stops there.
      const probe = path.join(dir, 'probe.cjs');
      await writeFile(probe, 'process.stdout.write(JSON.stringify(process.execArgv)); process.exit(0);\n');
      const { stdout } = await promisify(execFile)(BIN, ['version'], { env: { ...process.env, NODE_OPTIONS: `--require ${probe}` } });
      expect(JSON.parse(stdout)).toEqual(BERTH_NODE_FLAGS);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
