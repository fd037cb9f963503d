#!/usr/bin/env node
// The `berth` executable: runs the TypeScript sources through tsx (the project emits no JS).
import { register } from 'tsx/esm/api';

register();
try {
  const { main } = await import('../src/cli/main.ts');
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  // Only reached if the CLI itself fails to load; still one line, never a stack trace.
  process.stderr.write(`error: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
  process.exitCode = 1;
}
