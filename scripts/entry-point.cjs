// Which code the repository's bins run: the build in dist/ while it is fresh, i.e. no source file
// it was built from (dist/build-info.json lists them) changed since; otherwise the TypeScript
// sources through tsx. So `npm run build` makes the bins fast, and editing a source never runs
// stale code: the bins fall back to the sources until the next build. BERTH_FROM_SOURCES=1 forces
// the sources. A release has no sources and runs its dist/ directly (bin/ links to it).
// CommonJS so that `berth`'s bin, also CommonJS, starts without the ES module loader.
'use strict';
const { readFileSync, statSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { pathToFileURL } = require('node:url');

const ROOT = resolve(__dirname, '..');

/** dist/<entry> when it is fresh, else undefined. */
function freshBuild(entry) {
  if (process.env.BERTH_FROM_SOURCES === '1') return undefined;
  const built = join(ROOT, 'dist', entry);
  try {
    const { sources } = JSON.parse(readFileSync(join(ROOT, 'dist', 'build-info.json'), 'utf8'));
    const builtAt = statSync(built).mtimeMs;
    for (const file of sources) {
      if (statSync(join(ROOT, file)).mtimeMs > builtAt) return undefined;
    }
    return built;
  } catch {
    return undefined; // no build, or a source it names is gone
  }
}

/**
 * The fresh build of `entry` (berth.cjs is required, an .mjs imported) or else `source` (a .ts
 * path from the root) imported through tsx.
 */
async function importEntry(entry, source) {
  const built = freshBuild(entry);
  if (built) return built.endsWith('.cjs') ? require(built) : import(pathToFileURL(built).href);
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(join(ROOT, source)).href);
}

module.exports = { freshBuild, importEntry };
