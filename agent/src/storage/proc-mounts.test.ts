import { describe, expect, it } from 'vitest';
import { parseMounts, servedMountPoints } from './proc-mounts.ts';
import { remoteDir, sshfsArgs } from './ssh-args.ts';

describe('parseMounts', () => {
  it('finds the mounts directly under the root, unescaping octal, ignoring the rest', () => {
    const table = [
      'proc /proc proc rw 0 0',
      'root@10.0.0.2:/srv/r1 /st/mounts/r1 fuse.sshfs rw,nosuid 0 0',
      'x /st/mounts/with\\040space fuse.sshfs rw 0 0',
      'y /st/mounts/r2/deeper tmpfs rw 0 0',
    ].join('\n');
    expect(parseMounts(table, '/st/mounts/')).toEqual([
      { reservationId: 'r1', mountPoint: '/st/mounts/r1', fsType: 'fuse.sshfs' },
      { reservationId: 'with space', mountPoint: '/st/mounts/with space', fsType: 'fuse.sshfs' },
    ]);
  });
});

describe('servedMountPoints', () => {
  it('collects the mount points of sshfs processes only', () => {
    const argvs = [
      ['sshfs', 'berth@10.0.0.2:/srv/r1', '/st/mounts/r1', '-o', 'IdentityFile=/k,reconnect'],
      ['/usr/bin/sshfs', 'berth@10.0.0.2:/srv/r2', '/st/mounts/r2/', '-o', 'reconnect'],
      ['sleep', '/st/mounts/r3'],
    ];
    const served = servedMountPoints(argvs);
    expect(served.has('/st/mounts/r1')).toBe(true);
    expect(served.has('/st/mounts/r2')).toBe(true);
    expect(served.has('/st/mounts/r3')).toBe(false);
  });
});

describe('ssh arguments', () => {
  const t = { host: '10.0.0.2', port: 2222, user: 'u', basePath: '/srv/berth/', keyFile: '/k', knownHostsFile: '/kh' };

  it('builds the per-reservation remote directory and refuses anything a shell could interpret', () => {
    expect(remoteDir(t, 'abc-123')).toBe('/srv/berth/abc-123');
    expect(() => remoteDir(t, 'a;rm -rf /')).toThrow(/unsafe/);
    expect(() => remoteDir({ basePath: '/srv/$(x)' }, 'a')).toThrow(/unsafe/);
    expect(() => remoteDir({ basePath: '/srv/../etc' }, 'a')).toThrow(/unsafe/);
  });

  it('passes the key, port and pinned known hosts to sshfs', () => {
    const [source, mountPoint, flag, opts] = sshfsArgs(t, 'r1', '/m/r1');
    expect([source, mountPoint, flag]).toEqual(['u@10.0.0.2:/srv/berth/r1', '/m/r1', '-o']);
    expect(opts.split(',')).toEqual(expect.arrayContaining(['IdentityFile=/k', 'UserKnownHostsFile=/kh', 'port=2222', 'reconnect', 'BatchMode=yes']));
  });
});
