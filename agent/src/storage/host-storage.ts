// The node's real storage: Docker volumes through the engine, sshfs mounts under the state dir,
// and the node's own key for the storage node, generated there (mode 0600) and never sent.
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import type pino from 'pino';
import type { StorageNode } from '@berth/proto';
import { DockerVolumes } from './docker-volumes.ts';
import { REMOTE_DATA_DIR } from './plan-storage.ts';
import { readMounts, readProcessArgs, servedMountPoints } from './proc-mounts.ts';
import { remoteDir, sshfsArgs, type SshTarget } from './ssh-args.ts';
import type { StorageHost, StorageLayout, StorageObservation } from './storage-types.ts';

// node:util on use, not imported: see pinned-credentials.ts (idle memory).
const run = process.getBuiltinModule('node:util').promisify(execFile);
const COMMAND_TIMEOUT_MS = 20_000;

export interface HostStorageOptions {
  docker: Docker;
  nodeName: string;
  /** The agent's state dir; mounts live in STATE/mounts, the key in STATE/storage. */
  stateDir: string;
  log?: pino.Logger;
}

export class HostStorage implements StorageHost {
  readonly layout: StorageLayout;
  private readonly volumes: DockerVolumes;
  private readonly log?: pino.Logger;
  private target: SshTarget | undefined;

  constructor(private readonly opts: HostStorageOptions) {
    this.layout = { nodeName: opts.nodeName, mountRoot: path.join(opts.stateDir, 'mounts') };
    this.volumes = new DockerVolumes(opts.docker, opts.nodeName);
    this.log = opts.log?.child({ component: 'storage' });
  }

  /** The public half of the node's storage key ("ssh-ed25519 BASE64"), generated on first use. */
  async ensureKey(): Promise<string> {
    const dir = path.join(this.opts.stateDir, 'storage');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const keyFile = path.join(dir, 'id_storage');
    const pub = await readFile(`${keyFile}.pub`, 'utf8').catch(() => undefined);
    if (pub) return pub.trim().split(/\s+/).slice(0, 2).join(' ');
    // ssh-keygen writes the private key 0600 and refuses to overwrite: a half-made pair is removed first.
    await Promise.all([keyFile, `${keyFile}.pub`].map((f) => rm(f, { force: true })));
    await this.exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `berth-${this.opts.nodeName}`, '-f', keyFile]);
    this.log?.info({ keyFile }, 'storage key generated');
    return (await readFile(`${keyFile}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
  }

  /** Takes the storage node and this node's account the controller named; null forgets it. */
  async configure(node: StorageNode | null | undefined): Promise<void> {
    if (!node?.host || !node.user) {
      this.target = undefined;
      return;
    }
    const dir = path.join(this.opts.stateDir, 'storage');
    await this.ensureKey();
    this.target = {
      host: node.host,
      port: node.port,
      user: node.user,
      basePath: node.basePath || '/',
      keyFile: path.join(dir, 'id_storage'),
      knownHostsFile: path.join(dir, 'known_hosts'),
    };
    this.log?.info({ host: node.host, port: node.port, user: node.user }, 'storage node configured');
  }

  async observe(): Promise<StorageObservation> {
    const [volumes, mounts] = await Promise.all([this.volumes.list(), readMounts(this.layout.mountRoot)]);
    if (!mounts.some((m) => m.fsType === 'fuse.sshfs')) return { volumes, mounts };
    const served = servedMountPoints(await readProcessArgs());
    return { volumes, mounts: mounts.map((m) => (m.fsType === 'fuse.sshfs' ? { ...m, alive: served.has(m.mountPoint) } : m)) };
  }

  createVolume(name: string, reservationId: string): Promise<void> {
    return this.volumes.create(name, reservationId);
  }

  removeVolume(name: string): Promise<void> {
    return this.volumes.remove(name);
  }

  /** The storage node's host once the controller named one: containers must not reach it. */
  storageHost(): string | undefined {
    return this.target?.host;
  }

  remoteSource(reservationId: string): string {
    return this.target ? `${this.target.host}:${remoteDir(this.target, reservationId)}` : '';
  }

  async mountRemote(reservationId: string, mountPoint: string): Promise<void> {
    const t = this.target;
    if (!t) throw new Error('no storage node configured on the controller (berth controller --storage-host ...)');
    await mkdir(mountPoint, { recursive: true, mode: 0o700 });
    try {
      await this.exec('sshfs', sshfsArgs(t, reservationId, mountPoint));
    } catch (err) {
      // Leave no empty mount point behind that an engine could mistake for the data.
      await rmdir(mountPoint).catch(() => undefined);
      throw err;
    }
    // Made through the mount (the account has no shell), so it exists only on the storage node.
    try {
      await mkdir(path.join(mountPoint, REMOTE_DATA_DIR), { recursive: true });
    } catch (err) {
      await this.unmount(mountPoint).catch(() => undefined);
      throw new Error(`sshfs: cannot create ${REMOTE_DATA_DIR}/ in the remote directory: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }

  async unmount(mountPoint: string): Promise<void> {
    try {
      await this.exec('fusermount', ['-u', '-z', '--', mountPoint]);
    } catch (err) {
      const mounted = (await readMounts(this.layout.mountRoot)).some((m) => m.mountPoint === mountPoint);
      if (mounted)
        await this.exec('umount', ['-l', '--', mountPoint]).catch(() => {
          throw err;
        });
    }
    // rmdir, never a recursive delete: if the unmount did not happen, the data must survive.
    await rmdir(mountPoint).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  private async exec(cmd: string, args: string[]): Promise<void> {
    try {
      await run(cmd, args, { timeout: COMMAND_TIMEOUT_MS });
    } catch (err) {
      const e = err as { stderr?: string; message?: string; killed?: boolean };
      const detail = (e.stderr ?? '').trim().split('\n').filter(Boolean).pop() ?? e.message ?? String(err);
      throw new Error(`${cmd}: ${e.killed ? 'timed out' : detail}`);
    }
  }
}
