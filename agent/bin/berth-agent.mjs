#!/usr/bin/env -S node --no-opt --no-sparkplug --max-semi-space-size=1
// (The agent's node flags, as agent/src/install/node-flags.ts declares them; a test compares.)
// The `berth-agent` executable in a checkout: the build in dist/ when it is fresh, else the
// TypeScript sources through tsx (see scripts/entry-point.cjs). The agent's entry runs on import.
import { importEntry } from '../../scripts/entry-point.cjs';

await importEntry('berth-agent.mjs', 'agent/src/main.ts');
