// `npm run generate -w @berth/proto` (also run by the root postinstall and `npm run build`):
// writes proto/generated/ (git-ignored, like the Prisma clients) with proto-loader-gen-types from
// caas/v1/agent.proto, using the run-time load options. proto/index.ts re-exports the result.
//
// Git-ignored rather than committed, as the Prisma clients the same postinstall writes: the
// .proto stays the one source in the repository, and branches that change it cannot conflict in
// generated files. controller/src/agents/proto-types.test.ts fails when a local proto/generated/
// is older than the .proto (or the load options).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOAD_OPTIONS } from './load-options.ts';

const PROTO_DIR = path.dirname(fileURLToPath(import.meta.url));
export const GENERATED_DIR = path.join(PROTO_DIR, 'generated');
const PROTO_FILE = 'caas/v1/agent.proto';

/** proto-loader-gen-types flags that mirror LOAD_OPTIONS (it takes the constructors' names). */
export function generatorFlags(opts: typeof LOAD_OPTIONS = LOAD_OPTIONS): string[] {
  const flags = [`--longs=${opts.longs.name}`, `--enums=${opts.enums.name}`, '--grpcLib=@grpc/grpc-js'];
  if (opts.keepCase) flags.push('--keepCase');
  if (opts.defaults) flags.push('--defaults');
  if (opts.oneofs) flags.push('--oneofs');
  return flags;
}

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(path.join(dir, e.name), base) : [path.relative(base, path.join(dir, e.name))],
  );
}

/**
 * Writes the generated types into outDir (emptied first). Imports between them name the `.ts`
 * file: TypeScript's NodeNext resolution refuses extensionless relative imports in an ES module
 * package, and the tsconfig allows importing .ts files.
 */
export function generateTypes(outDir: string = GENERATED_DIR): void {
  const bin = createRequire(import.meta.url).resolve('@grpc/proto-loader/build/bin/proto-loader-gen-types.js');
  rmSync(outDir, { recursive: true, force: true });
  // Paths relative to proto/, so the generated text does not depend on where it is written.
  execFileSync(process.execPath, [bin, PROTO_FILE, ...generatorFlags(), '--importFileExtension=.ts', `--outDir=${outDir}`], {
    cwd: PROTO_DIR,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Generates into a scratch directory and returns each file's text by relative path. */
export function generateFresh(): Map<string, string> {
  const tmp = mkdtempSync(path.join(tmpdir(), 'berth-proto-types-'));
  try {
    generateTypes(tmp);
    return readTree(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Every file under dir, by relative path. */
export function readTree(dir: string): Map<string, string> {
  return new Map(
    listFiles(dir)
      .sort()
      .map((rel) => [rel, readFileSync(path.join(dir, rel), 'utf8')]),
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  generateTypes();
  console.log(`proto: generated TypeScript types in ${path.relative(path.dirname(PROTO_DIR), GENERATED_DIR)}`);
}
