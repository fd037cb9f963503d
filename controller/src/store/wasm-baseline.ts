// Prisma runs as WebAssembly: the query compiler (for each query shape not yet in its plan cache)
// and the schema engine (migrations at start). V8 compiles wasm with its baseline compiler
// (Liftoff), then recompiles hot functions with the optimising one (TurboFan) in the background.
// For these modules TurboFan's work costs ~50 MB of resident memory that is never handed back (a
// SQLite store opened and queried: 158 MB with it, 107 MB without; an idle controller: 205 MB,
// 143 MB), and buys nothing measurable: the CPU time of 13,000 queries was the same or lower
// without it, as plans are cached and migrations run once. So wasm stays on Liftoff here.
// The flags are read when a module is compiled, hence before Prisma loads either engine.
// Not --liftoff-only: a V8 testing flag, with no fallback for a function Liftoff cannot compile.
import { setFlagsFromString } from 'node:v8';

export function keepWasmOnBaselineCompiler(): void {
  setFlagsFromString('--no-wasm-tier-up --no-wasm-dynamic-tiering');
}
