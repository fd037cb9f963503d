// The catalog images (nginx, redis, mysql, mongo, jenkins) cannot be pulled here (no internet).
// What the hardening could break in them is their start-up's privileged steps, so these images
// copy those steps with busybox, built offline, and start under Berth's hardening:
// - nginx: binds port 80 as root, then its workers drop to the nginx user;
// - redis, mysql, mongo (docker-entrypoint + gosu): as root, chown the data directory, including
//   entries of another user it can only reach by overriding permissions, then drop to the service
//   user and write there;
// - jenkins: runs as uid 1000 from the start and writes its home.
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerSpec } from '@berth/proto';
import { ConvergeLoop } from '../converge/converge-loop.ts';
import { DockerRuntime } from './docker-runtime.ts';
import { ensureEngineAndImages, freePort, httpBody, removeNodeContainers, uniqueName, waitFor } from './engine.testkit.ts';

const run = promisify(execFile);
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const nodeName = uniqueName('shapes');
const tag = `${process.pid}`;
const images: string[] = [];

const ENTRY_GOSU = `#!/bin/sh
set -e
# docker-entrypoint.sh of redis/mysql/mongo: own the data dir, then drop to the service user.
find /data \\! -user svc -exec chown svc:svc {} \\;
exec su -s /bin/sh svc -c 'echo written > /data/by-service && exec httpd -f -p 6379 -h /www'
`;

async function buildShape(name: string, changes: string[], prepare: (root: string) => Promise<void>): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'berth-shape-'));
  try {
    for (const d of ['bin', 'etc', 'tmp', 'www', 'proc', 'sys', 'dev', 'data']) await mkdir(path.join(root, d));
    await chmod(path.join(root, 'tmp'), 0o1777);
    await run('cp', ['/bin/busybox', path.join(root, 'bin/busybox')]);
    const { stdout } = await run('/bin/busybox', ['--list']);
    for (const applet of stdout.split('\n').filter((a) => a && a !== 'busybox')) await symlink('busybox', path.join(root, 'bin', applet));
    await writeFile(
      path.join(root, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnginx:x:101:101::/:/bin/false\nsvc:x:999:999::/data:/bin/sh\njenkins:x:1000:1000::/var/jenkins_home:/bin/sh\n',
    );
    await writeFile(path.join(root, 'etc/group'), 'root:x:0:\nnginx:x:101:\nsvc:x:999:\njenkins:x:1000:\n');
    await writeFile(path.join(root, 'www/index.html'), 'berth ok\n');
    await prepare(root);
    const ref = `berth-test/shape-${name}:${tag}`;
    await run('tar', ['-C', root, '-cf', path.join(os.tmpdir(), `${name}-${tag}.tar`), '.']);
    await run('docker', ['import', ...changes.flatMap((c) => ['-c', c]), path.join(os.tmpdir(), `${name}-${tag}.tar`), ref]);
    images.push(ref);
    return ref;
  } finally {
    await rm(root, { recursive: true, force: true });
    await rm(path.join(os.tmpdir(), `${name}-${tag}.tar`), { force: true });
  }
}

function spec(name: string, image: string, containerPort: number, hostPort: number): ContainerSpec {
  return {
    reservationId: `res-${name}-${tag}`,
    generation: 1,
    name: `berth-${nodeName}-${name}`,
    image,
    cpus: 0.5,
    memoryBytes: 64 * 1024 * 1024,
    ports: [{ name: 'svc', containerPort, hostPort, hostIp: '127.0.0.1' }],
    env: {},
    profile: 'ephemeral',
    dataPath: '',
  };
}

async function procStatusUid(id: string): Promise<string> {
  const exec = await docker.getContainer(id).exec({ Cmd: ['cat', '/proc/1/status'], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  return /Uid:\t(\d+)/.exec(Buffer.concat(chunks).toString('latin1'))?.[1] ?? '';
}

let shapes: Array<{ name: string; image: string; port: number; uid: string; data?: string }> = [];

beforeAll(async () => {
  await ensureEngineAndImages();
  shapes = [
    {
      name: 'nginx',
      image: await buildShape('nginx', ['CMD ["/bin/httpd","-f","-p","80","-u","nginx:nginx","-h","/www"]'], async () => undefined),
      port: 80,
      uid: '101',
    },
    {
      name: 'gosu',
      image: await buildShape('gosu', ['CMD ["/bin/entry.sh"]'], async (root) => {
        await writeFile(path.join(root, 'bin/entry.sh'), ENTRY_GOSU, { mode: 0o755 });
        // Left by an earlier run under another uid, readable by no one else: chown needs CAP_CHOWN,
        // find needs CAP_DAC_OVERRIDE to look inside.
        await mkdir(path.join(root, 'data/old'));
        await writeFile(path.join(root, 'data/old/file'), 'x');
        await chown(path.join(root, 'data/old/file'), 1234, 1234);
        await chown(path.join(root, 'data/old'), 1234, 1234);
        await chmod(path.join(root, 'data/old'), 0o700);
      }),
      port: 6379,
      uid: '999',
      data: '/data/by-service',
    },
    {
      name: 'jenkins',
      image: await buildShape(
        'jenkins',
        ['USER 1000', 'CMD ["/bin/sh","-c","echo written > /var/jenkins_home/by-service && exec httpd -f -p 8080 -h /www"]'],
        async (root) => {
          await mkdir(path.join(root, 'var/jenkins_home'), { recursive: true });
          await chown(path.join(root, 'var/jenkins_home'), 1000, 1000);
        },
      ),
      port: 8080,
      uid: '1000',
      data: '/var/jenkins_home/by-service',
    },
  ];
}, 120_000);

afterAll(async () => {
  await removeNodeContainers(nodeName);
  for (const ref of images)
    await docker
      .getImage(ref)
      .remove({ force: true })
      .catch(() => undefined);
});

describe("the catalog images' start-up steps under the hardening", () => {
  it('start, drop to their service user, write their data and answer: nginx, gosu-style (redis, mysql, mongo), jenkins', async () => {
    const runtime = new DockerRuntime({ nodeName, dockerHost: 'unix:///var/run/docker.sock' });
    const ports = await Promise.all(shapes.map(() => freePort()));
    const specs = shapes.map((s, i) => spec(s.name, s.image, s.port, ports[i]));
    const loop = new ConvergeLoop({ runtime, onReport: () => undefined });
    await loop.setDesired({ version: 1, containers: specs });
    await loop.stop();
    const observed = await runtime.listManaged();
    for (const [i, s] of shapes.entries()) {
      const c = observed.find((o) => o.reservationId === specs[i].reservationId)!;
      const info = await docker.getContainer(c.id).inspect();
      expect(info.HostConfig).toMatchObject({ CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges:true'], PidsLimit: 512 });
      expect(await waitFor(`${s.name} to answer`, () => httpBody(`http://127.0.0.1:${ports[i]}/`))).toContain('berth ok');
      expect({ shape: s.name, uid: await procStatusUid(c.id) }).toEqual({ shape: s.name, uid: s.uid });
      if (s.data) {
        const exec = await docker.getContainer(c.id).exec({ Cmd: ['cat', s.data], AttachStdout: true });
        const stream = await exec.start({});
        const out = await new Promise<string>((resolve) => {
          let text = '';
          stream.on('data', (d: Buffer) => (text += d.toString('latin1')));
          stream.on('end', () => resolve(text));
        });
        expect(out).toContain('written');
      }
    }
  });
});
