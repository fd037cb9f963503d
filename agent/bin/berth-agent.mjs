#!/usr/bin/env node
// The `berth-agent` executable in a checkout: the build in dist/ when it is fresh, else the
// TypeScript sources through tsx (see scripts/entry-point.cjs). The agent's entry runs on import.
import { importEntry } from '../../scripts/entry-point.cjs';

await importEntry('berth-agent.mjs', 'agent/src/main.ts');
