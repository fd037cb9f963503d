#!/usr/bin/env node
// The `berth` executable in a checkout: the build in dist/ when it is fresh, else the TypeScript
// sources through tsx (see scripts/entry-point.mjs).
import { importEntry } from '../../scripts/entry-point.mjs';

try {
  const { main } = await importEntry('berth.mjs', 'controller/src/cli/main.ts');
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  // Only reached if the CLI itself fails to load; still one line, never a stack trace.
  process.stderr.write(`error: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
  process.exitCode = 1;
}
