// `npm run release [-- --out DIR]`: a versioned tarball that installs on a machine with Node.js and
// Docker and without this repository: DIR/berth-VERSION-linux-x64.tar.gz (default DIR: release/),
// holding one folder berth-VERSION/ with
//   bin/berth, bin/berth-agent    links to the built executables in dist/
//   dist/                         the build (scripts/build.ts), version and commit stamped in
//   node_modules/                 the production dependencies, copied from this checkout's install
//                                 (so native addons come already built: the tarball is for this
//                                 platform and Node.js ABI, hence the -linux-x64 in its name)
//   deploy/systemd/, install.sh   the systemd units and a script that puts everything in place
//   scripts/check-node.mjs        the Node.js version check install.sh runs first
//   package.json, README.md
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { buildDist } from './build.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORKSPACES = ['controller', 'agent', 'proto'];

interface PackageJson {
  name: string;
  version?: string;
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

// Installed files a run never reads: source maps, type declarations, better-sqlite3's C sources and
// compiler leftovers (only build/Release/better_sqlite3.node is loaded), and Prisma's query
// compilers for databases Berth does not use. They are over half the size of the tarball.
const UNSHIPPED = new RegExp(
  [
    String.raw`\.map$`,
    String.raw`\.d\.[cm]?ts$`,
    String.raw`/better-sqlite3/(deps|src)$`,
    String.raw`/better-sqlite3/build/(?!Release$|Release/better_sqlite3\.node$)`,
    String.raw`/@prisma/client/runtime/query_compiler_\w+_bg\.(mysql|sqlserver|cockroachdb)\.`,
  ].join('|'),
);

const readPackage = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;

/** Where Node would find `name` from `fromDir`: the nearest node_modules/name up the tree. */
function resolvePackage(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === path.dirname(dir) || dir === path.dirname(ROOT)) return undefined;
  }
}

/** Every installed package the given dependencies need at run time (dependencies + optional). */
function productionClosure(deps: string[]): Set<string> {
  const found = new Set<string>();
  const visit = (name: string, fromDir: string, optional: boolean) => {
    const dir = resolvePackage(name, fromDir);
    if (!dir) {
      if (optional) return; // an optional dependency for another platform
      throw new Error(`release: ${name} (needed from ${path.relative(ROOT, fromDir) || '.'}) is not installed; run npm ci`);
    }
    if (found.has(dir)) return;
    found.add(dir);
    const pkg = readPackage(dir);
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir, false);
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) visit(dep, dir, true);
  };
  for (const dep of deps) visit(dep, ROOT, false);
  return found;
}

/** The workspaces' third-party dependencies: the workspaces themselves are bundled in dist/. */
function runtimeDependencies(): Record<string, string> {
  const deps: Record<string, string> = {};
  for (const ws of WORKSPACES) {
    for (const [name, range] of Object.entries(readPackage(path.join(ROOT, ws)).dependencies ?? {})) {
      if (!name.startsWith('@berth/')) deps[name] = range;
    }
  }
  return Object.fromEntries(Object.entries(deps).sort(([a], [b]) => a.localeCompare(b)));
}

export async function makeRelease(outDir: string): Promise<string> {
  const root = readPackage(ROOT);
  const version = root.version!;
  const name = `berth-${version}`;
  const staging = mkdtempSync(path.join(tmpdir(), 'berth-release-'));
  try {
    const top = path.join(staging, name);
    const info = await buildDist(path.join(top, 'dist'));

    const dependencies = runtimeDependencies();
    const release = {
      name: 'berth',
      version,
      private: true,
      type: 'module',
      description: `Berth ${version} (commit ${info.commit}), built for ${process.platform}-${process.arch}, Node.js ABI ${process.versions.modules}`,
      engines: root.engines,
      bin: { berth: 'bin/berth', 'berth-agent': 'bin/berth-agent' },
      dependencies,
    };
    writeFileSync(path.join(top, 'package.json'), `${JSON.stringify(release, null, 2)}\n`);

    const modules = path.join(ROOT, 'node_modules');
    for (const dir of productionClosure(Object.keys(dependencies))) {
      // A nested package travels with the package it is nested in.
      const rel = path.relative(modules, dir);
      if (rel.split(path.sep).includes('node_modules')) continue;
      cpSync(dir, path.join(top, 'node_modules', rel), { recursive: true, verbatimSymlinks: true, filter: (src) => !UNSHIPPED.test(src) });
    }

    mkdirSync(path.join(top, 'bin'));
    symlinkSync('../dist/berth.cjs', path.join(top, 'bin', 'berth'));
    symlinkSync('../dist/berth-agent.mjs', path.join(top, 'bin', 'berth-agent'));
    cpSync(path.join(ROOT, 'deploy', 'systemd'), path.join(top, 'deploy', 'systemd'), { recursive: true });
    copyFileSync(path.join(ROOT, 'deploy', 'install.sh'), path.join(top, 'install.sh'));
    chmodSync(path.join(top, 'install.sh'), 0o755);
    mkdirSync(path.join(top, 'scripts'));
    copyFileSync(path.join(ROOT, 'scripts', 'check-node.mjs'), path.join(top, 'scripts', 'check-node.mjs'));
    copyFileSync(path.join(ROOT, 'README.md'), path.join(top, 'README.md'));

    mkdirSync(outDir, { recursive: true });
    const tarball = path.join(path.resolve(outDir), `${name}-${process.platform}-${process.arch}.tar.gz`);
    execFileSync('tar', ['-czf', tarball, '--owner=0', '--group=0', '-C', staging, name]);
    return tarball;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { values } = parseArgs({ options: { out: { type: 'string', default: path.join(ROOT, 'release') } } });
    const tarball = await makeRelease(values.out!);
    process.stdout.write(`${tarball}\n`);
  } catch (err) {
    process.stderr.write(`${(err as Error).message.split('\n')[0]}\n`);
    process.exitCode = 1;
  }
}
