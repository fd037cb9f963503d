#!/usr/bin/env node
// Prisma tasks for Berth's two stores, from the one schema in prisma/schema.prisma:
//   node scripts/prisma.mjs generate          one client per provider (also the root postinstall)
//   node scripts/prisma.mjs migrate-diff NAME one new migration per provider, when the schema moved
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const schemaPath = join(root, 'prisma', 'schema.prisma');
const PROVIDERS = ['postgresql', 'sqlite'];

/** The schema text for one provider, its client written to controller/src/store/generated/<provider>. */
function schemaFor(provider, text = readFileSync(schemaPath, 'utf8')) {
  const output = join(root, 'controller', 'src', 'store', 'generated', provider);
  const out = text
    .replace(/(datasource\s+db\s*\{[^}]*?provider\s*=\s*)"[^"]*"/, `$1"${provider}"`)
    .replace(/(generator\s+client\s*\{[^}]*?output\s*=\s*)"[^"]*"/, `$1${JSON.stringify(output)}`);
  if (!out.includes(`"${provider}"`)) throw new Error(`could not set provider ${provider} in ${schemaPath}`);
  return out;
}

async function generate() {
  const cli = createRequire(import.meta.url).resolve('prisma/build/index.js');
  const tmp = mkdtempSync(join(tmpdir(), 'berth-prisma-'));
  try {
    for (const provider of PROVIDERS) {
      const file = join(tmp, `${provider}.prisma`);
      writeFileSync(file, schemaFor(provider));
      execFileSync(process.execPath, [cli, 'generate', '--schema', file], {
        cwd: root,
        stdio: 'inherit',
        // generate never runs the schema engine but insists that one exists; offline the CLI
        // cannot download it, so point it at any existing file.
        env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: file, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
      });
      await compilerFromFile(join(root, 'controller', 'src', 'store', 'generated', provider, 'internal'));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

// The generated client imports its query compiler as a module holding the .wasm in base64: that
// string (4.4 MB) and the module's source (as much again) then stay in the heap for as long as the
// process runs. The client is made to compile the binary from a file next to it instead, written
// here (scripts/build.ts copies it next to the bundle). Fails if Prisma generates other code.
const COMPILER_IMPORT =
  /getQueryCompilerWasmModule: async \(\) => \{\n\s*const \{ wasm \} = await import\("(@prisma\/client\/runtime\/(query_compiler_\w+_bg\.\w+)\.wasm-base64\.mjs)"\)\n\s*return await decodeBase64AsWasm\(wasm\)\n\s*\}/;

async function compilerFromFile(internalDir) {
  const classFile = join(internalDir, 'class.ts');
  const text = readFileSync(classFile, 'utf8');
  const match = COMPILER_IMPORT.exec(text);
  if (!match) throw new Error(`${classFile}: the query compiler's import is not the one scripts/prisma.mjs rewrites`);
  const [, specifier, name] = match;
  const { wasm } = await import(specifier);
  writeFileSync(join(internalDir, `${name}.wasm`), Buffer.from(wasm, 'base64'));
  const load = [
    'getQueryCompilerWasmModule: async () => {',
    "    const { readFile } = await import('node:fs/promises')",
    `    return new WebAssembly.Module(await readFile(new URL('./${name}.wasm', import.meta.url)))`,
    '  }',
  ].join('\n');
  writeFileSync(classFile, text.replace(COMPILER_IMPORT, load));
}

function timestamp(d = new Date()) {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

async function migrateDiff(name) {
  if (!/^[a-z0-9_]+$/.test(name ?? '')) throw new Error('usage: migrate-diff NAME (lowercase letters, digits, _)');
  // The engine loader is TypeScript shared with the controller; tsx compiles it on the fly.
  const { register } = await import('tsx/esm/api');
  register();
  const { writeMigration } = await import('../controller/src/store/migrate-diff.ts');
  const dirName = `${timestamp()}_${name}`;
  for (const provider of PROVIDERS) {
    const file = await writeMigration(provider, schemaFor(provider), dirName);
    console.log(file ? `${provider}: wrote ${file}` : `${provider}: schema matches the migrations, nothing written`);
  }
}

const [cmd, arg] = process.argv.slice(2);
if (cmd === 'generate') await generate();
else if (cmd === 'migrate-diff') await migrateDiff(arg);
else {
  console.error('usage: node scripts/prisma.mjs generate | migrate-diff NAME');
  process.exit(2);
}
