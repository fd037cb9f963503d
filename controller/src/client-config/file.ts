// The config file on disk: where it is, reading it (a broken file is an error naming the file and
// the problem), and writing it the only safe way for a file of tokens: mode 0600, a temporary file
// renamed over the old one (never half written), under a lock so two CLIs (a login while `berth
// dev` starts) cannot lose each other's context.
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { BerthError } from '../errors/index.ts';
import { parseFlatYaml, yaml } from '../lib/lazy-yaml.ts';
import { type ContextsConfig, parseContextsConfig, renderContextsConfig } from './contexts.ts';

type Env = Record<string, string | undefined>;

const nonEmpty = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);

export function defaultConfigPath(env: Env = process.env): string {
  const xdg = nonEmpty(env.XDG_CONFIG_HOME);
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const base = xdg && isAbsolute(xdg) ? xdg : join(nonEmpty(env.HOME) ?? homedir(), '.config');
  return join(base, 'berth', 'config');
}

/** The file's contexts; undefined when it does not exist. */
export function readConfigFile(path: string): ContextsConfig | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new BerthError('Invalid', `cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let data: unknown;
  try {
    // Berth writes JSON (YAML's subset) so that a command reads it without loading a YAML parser;
    // an old flat file or one edited by hand as YAML is read as YAML.
    data = parseJson(text) ?? parseFlatYaml(text) ?? yaml().parse(text);
  } catch (err) {
    throw new BerthError('Invalid', `config file ${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return parseContextsConfig(data, `config file ${path}`);
}

function parseJson(text: string): unknown {
  if (!text.trimStart().startsWith('{')) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // YAML's flow style also starts with {: let the YAML parser say what is wrong
  }
}

/** A symlinked config (dotfiles) is written where it points, not replaced by a plain file. */
function target(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Writes atomically with mode 0600 (it holds tokens), creating parent directories (0700). */
export function writeConfigFile(path: string, cfg: ContextsConfig): void {
  const file = target(path);
  const tmp = `${file}.${process.pid}.${process.getBuiltinModule('node:crypto').randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(tmp, `${JSON.stringify(renderContextsConfig(cfg), null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600); // the umask may have narrowed it, never widened: make it exact
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      /* never created, or already renamed */
    }
    throw new BerthError('Invalid', `cannot write config file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

const LOCK_WAIT_MS = 5_000;
// A lock this old was left by a process that died holding it (a write takes milliseconds).
const STALE_LOCK_MS = 30_000;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function lock(file: string, waitMs: number): () => void {
  const lockPath = `${file}.lock`;
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      const fd = openSync(lockPath, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => unlinkSync(lockPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new BerthError('Invalid', `cannot lock config file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
    const age = (() => {
      try {
        return Date.now() - statSync(lockPath).mtimeMs;
      } catch {
        return 0; // released meanwhile: try again
      }
    })();
    if (age > STALE_LOCK_MS) {
      try {
        unlinkSync(lockPath);
      } catch {
        /* another process took it away first */
      }
    } else if (Date.now() > deadline) {
      throw new BerthError('Conflict', `config file ${file} is locked by another berth command (${lockPath}); remove that file if no berth command is running`);
    } else sleepSync(25);
  }
}

/**
 * Read, change and write the file under its lock; `change` gets the contexts (empty when the file
 * does not exist) and returns the new ones. Returns what was written.
 */
export function updateConfigFile(path: string, change: (cfg: ContextsConfig) => ContextsConfig, opts: { lockWaitMs?: number } = {}): ContextsConfig {
  const file = target(path);
  const release = lock(file, opts.lockWaitMs ?? LOCK_WAIT_MS);
  try {
    const next = change(readConfigFile(path) ?? { contexts: [] });
    writeConfigFile(path, next);
    return next;
  } finally {
    release();
  }
}
