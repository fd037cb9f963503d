// `npm run settings:readme`: regenerates the controller settings block of README.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withSettingsBlock } from './options.ts';

const readme = fileURLToPath(new URL('../../../README.md', import.meta.url));
writeFileSync(readme, withSettingsBlock(readFileSync(readme, 'utf8')));
