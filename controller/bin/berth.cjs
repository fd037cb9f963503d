#!/usr/bin/env -S node --max-semi-space-size=8
// The `berth` executable in a checkout: the build in dist/ when it is fresh, else the TypeScript
// sources through tsx (see scripts/entry-point.cjs). CommonJS like dist/berth.cjs: every command
// starts ~15 ms sooner without the ES module loader. The first line is BERTH_SHEBANG
// (controller/src/cli/node-flags.ts).
'use strict';
const { importEntry } = require('../../scripts/entry-point.cjs');

importEntry('berth.cjs', 'controller/src/cli/main.ts')
  .then(({ main }) => main(process.argv.slice(2)))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      // Only reached if the CLI itself fails to load; still one line, never a stack trace.
      process.stderr.write(`error: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
      process.exitCode = 1;
    },
  );
