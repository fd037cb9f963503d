#!/usr/bin/env node
// Runs the TypeScript sources directly (the project ships no emitted JS).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
