// Stops with one line when this Node.js does not satisfy package.json's engines.node, before npm
// or Berth fail later in a less obvious way. Only the range forms used there are understood
// (^A.B.C, >=A.B.C, joined by ||). Kept to syntax any Node.js since 12 runs, so an old one can
// still say it is too old. Used by scripts/setup.sh and a release's install.sh.
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const range = pkg.engines.node;
const have = process.versions.node.split('.').map(Number);

function cmp(a, b) {
  for (let i = 0; i < 3; i++) if ((a[i] || 0) !== (b[i] || 0)) return (a[i] || 0) - (b[i] || 0);
  return 0;
}

function satisfies(alternative) {
  const m = /^(\^|>=)(\d+)\.(\d+)\.(\d+)$/.exec(alternative.trim());
  if (!m) throw new Error(`check-node: cannot read the range "${alternative}" in package.json engines.node`);
  const want = [Number(m[2]), Number(m[3]), Number(m[4])];
  if (cmp(have, want) < 0) return false;
  return m[1] === '>=' || have[0] === want[0];
}

if (!range.split('||').some(satisfies)) {
  process.stderr.write(
    `error: Node.js ${process.version} is too old for Berth, which needs ${range}: install Node.js 22 LTS (https://nodejs.org/en/download, or your distribution's nodejs where it is recent enough, e.g. Debian 13) and run this again\n`,
  );
  process.exit(1);
}
