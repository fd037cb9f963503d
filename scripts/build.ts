// `npm run build`: type-checks nothing (that is `npm run lint`) and emits what a release runs,
// into dist/ at the repository's root:
//   berth.cjs                    the CLI in one CommonJS file (a file per module would cost the ES
//                                loader's resolve and load for each at every start, and the ES
//                                loader itself ~15 ms more than require), built apart from the rest
//                                so no module it shares with the servers lands in a chunk
//   berth-controller.mjs, berth-dev.mjs, berth-store.mjs, berth-auth.mjs, berth-manifests.mjs
//                                what some commands (`berth controller`, `dev`, `admin`, `apply`)
//                                import from berth.cjs when they run (LATE_ENTRIES)
//   berth-agent.mjs              the agent
//   chunk-*.mjs                  code the last three share
//   caas/v1/agent.proto          read at run time by @grpc/proto-loader
//   static/                      the dashboard: index.html, app.css and app.js bundled now
//   migrations/<provider>/       Prisma's migration folders, applied by the controller on start
//   query_compiler_*.wasm        Prisma's query compiler of each provider, which the generated
//                                clients read next to their code (see scripts/prisma.mjs)
//   build-info.json              version, commit and the source files, for the bins' freshness check
//   berth-agent.tar.gz           the agent alone, every package bundled in (berth-agent.mjs and
//                                caas/): what the controller serves to a node joining with
//                                /install/agent.sh (controller/src/install/), with that script
//   agent-install.sh             the template of that script
// Every file lives directly in dist/ (no chunk folder) because modules find their run-time files
// relative to their own URL. Packages with native addons or files they locate themselves stay
// external and come from node_modules (a release ships the production dependencies).
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { AGENT_SHEBANG } from '../agent/src/install/node-flags.ts';
import { BERTH_SHEBANG } from '../controller/src/cli/node-flags.ts';
import { bundleDashboard } from '../controller/src/web/serve-web.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EXTERNAL = [
  'better-sqlite3',
  'bcrypt', // native addons
  '@prisma/client',
  '@prisma/schema-engine-wasm', // load their .wasm/.mjs files by path at run time
  'esbuild', // only the source run bundles the dashboard on request; a build serves static/app.js
];

// Bundled CommonJS packages call require() and read __dirname; ES modules have neither.
const BANNER = [
  '#!/usr/bin/env node',
  "import { createRequire as __berthCreateRequire } from 'node:module';",
  "import { fileURLToPath as __berthFileURLToPath } from 'node:url';",
  "import { dirname as __berthDirname } from 'node:path';",
  'const require = __berthCreateRequire(import.meta.url);',
  'const __filename = __berthFileURLToPath(import.meta.url);',
  'const __dirname = __berthDirname(__filename);',
].join('\n');

// The CLI is CommonJS (see the top): it has require and __filename, and import.meta.url, which
// its modules read, becomes this file's URL.
const CLI_BANNER = [BERTH_SHEBANG, "const __berthImportMetaUrl = require('node:url').pathToFileURL(__filename).href;"].join('\n');

// Packages bundled with parts Berth never runs replaced (see stubs/): dockerode's ssh2 (native
// parts and WebAssembly for docker hosts over SSH) and pino's thread-stream and worker_threads
// (for transports, logging through a worker thread). Each is loaded at start otherwise.
const stubUnused: Plugin = {
  name: 'stub-unused',
  setup(b) {
    const stub = (name: string) => ({ path: path.join(ROOT, `scripts/stubs/${name}.cjs`) });
    b.onResolve({ filter: /^ssh2$/ }, () => stub('ssh2'));
    b.onResolve({ filter: /^thread-stream$/ }, () => stub('thread-stream'));
    b.onResolve({ filter: /^(node:)?worker_threads$/ }, (args) => (/node_modules\/pino\//.test(args.importer) ? stub('pino-worker-threads') : undefined));
  },
};

// What CLI commands import dynamically, built with the servers as entries of their own and imported
// by the CLI bundle at run time. Inlined, their external packages (Prisma, native addons) would load
// at every CLI start and their code (zod's 800 KB) be parsed at every start.
const LATE_ENTRIES: Record<string, string> = {
  'berth-controller': 'controller/src/server/run-controller.ts', // berth controller
  'berth-dev': 'controller/src/dev/run-dev.ts', // berth dev
  'berth-store': 'controller/src/store/index.ts', // berth admin on the management node
  'berth-auth': 'controller/src/auth/index.ts', // likewise
  'berth-manifests': 'controller/src/manifests/index.ts', // berth apply's validation
};

const lateOutside: Plugin = {
  name: 'late-outside',
  setup(b) {
    b.onResolve({ filter: /\.ts$/ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const resolved = path.relative(ROOT, path.resolve(args.resolveDir, args.path));
      const entry = Object.entries(LATE_ENTRIES).find(([, file]) => file === resolved)?.[0];
      return entry ? { path: `./${entry}.mjs`, external: true } : undefined;
    });
  },
};

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function commit(): string {
  const head = git(['rev-parse', '--short=12', 'HEAD']);
  if (!head) return 'unknown';
  return git(['status', '--porcelain', '--untracked-files=no'])?.length ? `${head}-dirty` : head;
}

/** The agent's executable starts node with the agent's flags (agent/src/install/node-flags.ts). */
function withAgentShebang(file: string): void {
  const text = readFileSync(file, 'utf8');
  if (!text.startsWith('#!')) throw new Error(`${file}: expected the banner's #! line first`);
  writeFileSync(file, `${AGENT_SHEBANG}${text.slice(text.indexOf('\n'))}`);
}

/**
 * DIST/berth-agent.tar.gz: the agent as one file with every package inside, so that a node needs
 * Node.js and nothing else (no node_modules, no native addon built for another ABI). ssh2's
 * optional native parts stay out: it falls back to JavaScript without them.
 */
async function buildAgentBundle(DIST: string, info: { version: string; commit: string }): Promise<void> {
  const staging = mkdtempSync(path.join(tmpdir(), 'berth-agent-bundle-'));
  try {
    await build({
      entryPoints: { 'berth-agent': path.join(ROOT, 'agent/src/main.ts') },
      outdir: staging,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      external: ['cpu-features', '*.node'],
      plugins: [stubUnused],
      define: { __BERTH_BUILD__: JSON.stringify(info) },
      banner: { js: BANNER },
      legalComments: 'none',
      logLevel: 'warning',
    });
    cpSync(path.join(ROOT, 'proto/caas'), path.join(staging, 'caas'), { recursive: true });
    // yaml is not bundled: the agent loads it from node_modules only to read a --config file
    // (cli-options.ts), so that it does not hold it all its life. The package goes beside it.
    const yaml = path.join(ROOT, 'node_modules/yaml');
    for (const part of ['package.json', 'LICENSE', 'dist']) cpSync(path.join(yaml, part), path.join(staging, 'node_modules/yaml', part), { recursive: true });
    withAgentShebang(path.join(staging, 'berth-agent.mjs'));
    writeFileSync(path.join(staging, 'VERSION'), `${info.version} ${info.commit}\n`);
    execFileSync('tar', ['-czf', path.join(DIST, 'berth-agent.tar.gz'), '--owner=0', '--group=0', '-C', staging, '.']);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

export async function buildDist(DIST: string = path.join(ROOT, 'dist')): Promise<{ version: string; commit: string }> {
  const version = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const info = { version, commit: commit() };
  rmSync(DIST, { recursive: true, force: true });
  mkdirSync(DIST, { recursive: true });
  const common: BuildOptions = {
    outdir: DIST,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    define: { __BERTH_BUILD__: JSON.stringify(info) },
    banner: { js: BANNER },
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  };
  const servers = await build({
    ...common,
    entryPoints: {
      'berth-agent': path.join(ROOT, 'agent/src/main.ts'),
      ...Object.fromEntries(Object.entries(LATE_ENTRIES).map(([name, file]) => [name, path.join(ROOT, file)])),
    },
    chunkNames: 'chunk-[hash]',
    splitting: true,
    plugins: [stubUnused],
  });
  const cli = await build({
    ...common,
    entryPoints: { berth: path.join(ROOT, 'controller/src/cli/main.ts') },
    format: 'cjs',
    outExtension: { '.js': '.cjs' },
    banner: { js: CLI_BANNER },
    define: { ...common.define, 'import.meta.url': '__berthImportMetaUrl' },
    plugins: [lateOutside],
  });
  chmodSync(path.join(DIST, 'berth.cjs'), 0o755);
  withAgentShebang(path.join(DIST, 'berth-agent.mjs'));
  chmodSync(path.join(DIST, 'berth-agent.mjs'), 0o755);
  // Every CLI command pays for what its bundle holds: a server-side package pulled in through an
  // index.ts re-export (exec's broker brought grpc, a manifests index brought zod) is a bug.
  const heavy = Object.keys((cli.metafile as Metafile).inputs).filter((f) => /node_modules\/(@grpc|protobufjs|zod|@prisma|fastify|pino)\//.test(f));
  if (heavy.length)
    throw new Error(`the CLI bundle holds server-side packages: ${[...new Set(heavy.map((f) => f.split('node_modules/')[1].split('/')[0]))].join(', ')}`);
  const metafiles = [servers.metafile, cli.metafile] as Metafile[];

  cpSync(path.join(ROOT, 'proto/caas'), path.join(DIST, 'caas'), { recursive: true });
  cpSync(path.join(ROOT, 'controller/src/web/static'), path.join(DIST, 'static'), { recursive: true });
  writeFileSync(path.join(DIST, 'static/app.js'), await bundleDashboard());
  cpSync(path.join(ROOT, 'prisma/migrations'), path.join(DIST, 'migrations'), { recursive: true });
  for (const provider of ['postgresql', 'sqlite']) {
    const internal = path.join(ROOT, 'controller/src/store/generated', provider, 'internal');
    for (const file of readdirSync(internal).filter((f) => f.endsWith('.wasm'))) cpSync(path.join(internal, file), path.join(DIST, file));
  }
  await buildAgentBundle(DIST, info);
  cpSync(path.join(ROOT, 'controller/src/install/agent-install.sh'), path.join(DIST, 'agent-install.sh'));

  // The repository's bins run dist/ only while no source it was built from is newer than it.
  // Skips packages (a new install is not a source change) and esbuild's virtual <define:...> inputs.
  const inputs = [...new Set(metafiles.flatMap((m) => Object.keys(m.inputs)))].filter((f) => !f.includes('node_modules/') && !f.startsWith('<'));
  // Test code (*.test.ts, fakes in *.testkit.ts, test/) never ships: a release that bundles it is a bug.
  const testCode = inputs.filter((f) => /\.(test|testkit)\.ts$/.test(f) || path.relative(ROOT, path.resolve(f)).startsWith('test/'));
  if (testCode.length) throw new Error(`the build bundles test code: ${testCode.join(', ')}`);
  const assets = [
    'proto/caas/v1/agent.proto',
    'controller/src/web/static/index.html',
    'controller/src/web/static/app.css',
    'controller/src/web/static/favicon.svg',
    'controller/src/install/agent-install.sh',
  ];
  const sources = [...new Set([...inputs.map((f) => path.relative(ROOT, path.resolve(f))), ...assets])].sort();
  writeFileSync(path.join(DIST, 'build-info.json'), `${JSON.stringify({ ...info, sources }, null, 1)}\n`);
  return info;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const info = await buildDist();
  process.stdout.write(`built dist/ (berth ${info.version}, commit ${info.commit})\n`);
}
