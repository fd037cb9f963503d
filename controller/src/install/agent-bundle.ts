// Where the files a joining node downloads live, and their SHA-256. A build (npm run build) puts
// berth-agent.tar.gz and agent-install.sh next to the controller's bundle in dist/; run from
// sources, the template is this folder's agent-install.sh and the bundle the repository's
// dist/berth-agent.tar.gz, present only after a build.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD } from '@berth/proto/build-info';
import { BerthError } from '../errors/index.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const BUNDLE_NAME = 'berth-agent.tar.gz';

export interface InstallFiles {
  /** The script template (agent-install.sh). */
  template: string;
  /** The agent bundle (berth-agent.tar.gz). */
  bundle: string;
}

export function defaultInstallFiles(): InstallFiles {
  return BUILD
    ? { template: path.join(HERE, 'agent-install.sh'), bundle: path.join(HERE, BUNDLE_NAME) }
    : { template: path.join(HERE, 'agent-install.sh'), bundle: path.resolve(HERE, '../../../dist', BUNDLE_NAME) };
}

export interface AgentBundle {
  bytes: Buffer;
  sha256: string;
}

/** Reads the bundle once per change of the file (size and mtime), so a rebuild is picked up. */
export class AgentBundleSource {
  private cached?: { key: string; bundle: AgentBundle };
  private template?: Promise<string>;

  constructor(readonly files: InstallFiles = defaultInstallFiles()) {}

  async bundle(): Promise<AgentBundle> {
    const info = await stat(this.files.bundle).catch(() => undefined);
    if (!info?.isFile()) {
      throw new BerthError(
        'Unavailable',
        `no agent bundle at ${path.basename(this.files.bundle)}: this controller runs from sources without a build; run npm run build (or start a release) to serve node installs`,
      );
    }
    const key = `${info.size}:${info.mtimeMs}`;
    if (this.cached?.key !== key) {
      const bytes = await readFile(this.files.bundle);
      this.cached = { key, bundle: { bytes, sha256: createHash('sha256').update(bytes).digest('hex') } };
    }
    return this.cached.bundle;
  }

  scriptTemplate(): Promise<string> {
    this.template ??= readFile(this.files.template, 'utf8');
    return this.template;
  }
}
