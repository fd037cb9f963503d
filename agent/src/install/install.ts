// `berth-agent install [--root DIR] <agent flags>`: writes the systemd unit and its environment
// file (the join token lives only there, mode 0600). --root prefixes every path, for tests and
// image builds; enabling the unit is left to `systemctl enable --now berth-agent`.
import { realpathSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD } from '@berth/proto/build-info';
import { parseCliOptions } from '../cli-options.ts';
import { AGENT_NODE_FLAGS } from './node-flags.ts';
import { renderAgentUnit, renderEnvFile } from './render-unit.ts';

export const UNIT_PATH = '/etc/systemd/system/berth-agent.service';
export const ENV_PATH = '/etc/berth/agent.env';
// The unit runs the executable that is running now: from a build (a release unpacked anywhere)
// that is the bin the operator started; from sources, the repository's bin.
const AGENT_BIN =
  BUILD && process.argv[1] ? realpathSync(process.argv[1]) : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/berth-agent.mjs');

export interface InstallResult {
  unitFile: string;
  envFile: string;
}

/** Splits `--root DIR` / `--root=DIR` off the agent's own flags. */
export function splitRoot(argv: string[]): { root: string; rest: string[] } {
  const rest: string[] = [];
  let root = '/';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--root') root = argv[++i] ?? '';
    else if (argv[i].startsWith('--root=')) root = argv[i].slice('--root='.length);
    else rest.push(argv[i]);
  }
  if (!root) throw new Error('--root needs a directory');
  return { root: path.resolve(root), rest };
}

export async function installAgent(argv: string[], env: NodeJS.ProcessEnv): Promise<InstallResult> {
  const { root, rest } = splitRoot(argv);
  const options = parseCliOptions(rest, env); // same validation as a normal start
  const unitFile = path.join(root, UNIT_PATH);
  const envFile = path.join(root, ENV_PATH);
  await mkdir(path.dirname(unitFile), { recursive: true });
  await mkdir(path.dirname(envFile), { recursive: true, mode: 0o700 });
  await writeFile(envFile, renderEnvFile(options), { mode: 0o600 });
  // The unit names the env file where it will be at run time, i.e. without --root.
  await writeFile(unitFile, renderAgentUnit({ execStart: [process.execPath, ...AGENT_NODE_FLAGS, AGENT_BIN], envFile: ENV_PATH }), { mode: 0o644 });
  return { unitFile, envFile };
}
