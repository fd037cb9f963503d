import { describe, expect, it } from 'vitest';
import { parseCliOptions } from './cli-options.ts';

const token = (secret: string) => `K10${'0'.repeat(64)}::${secret}-0123456789abcdef`;
const full = ['--controller', '10.0.0.1:7443', '--join-token', token('t0k'), '--node-name', 'cn1', '--address', '10.0.0.11'];

describe('parseCliOptions', () => {
  it('reads every option from flags', () => {
    expect(parseCliOptions([...full, '--docker-host', 'tcp://127.0.0.1:2375'], {})).toEqual({
      controller: '10.0.0.1:7443',
      joinToken: token('t0k'),
      nodeName: 'cn1',
      address: '10.0.0.11',
      dockerHost: 'tcp://127.0.0.1:2375',
    });
  });

  it('falls back to environment variables and lets flags win', () => {
    const env = {
      BERTH_CONTROLLER: 'ctl:1',
      BERTH_JOIN_TOKEN: token('env'),
      BERTH_NODE_NAME: 'env-node',
      BERTH_ADDRESS: '127.0.0.1',
      DOCKER_HOST: 'unix:///run/other.sock',
    };
    expect(parseCliOptions(['--node-name', 'flag-node'], env)).toEqual({
      controller: 'ctl:1',
      joinToken: token('env'),
      nodeName: 'flag-node',
      address: '127.0.0.1',
      dockerHost: 'unix:///run/other.sock',
    });
  });

  it('refuses a join token without the controller fingerprint, without echoing it', () => {
    const args = [...full];
    args[3] = 'just-a-secret-0123456789';
    expect(() => parseCliOptions(args, {})).toThrow(/^bad --join-token: expected K10<fingerprint>::<secret>/);
    expect(() => parseCliOptions(args, {})).not.toThrow(/just-a-secret/);
  });

  it('reads the engine check interval from the flag or BERTH_ENGINE_CHECK_INTERVAL_MS, and refuses a non-positive one', () => {
    expect(parseCliOptions([...full, '--engine-check-interval-ms', '1500'], {}).engineCheckIntervalMs).toBe(1500);
    expect(parseCliOptions(full, { BERTH_ENGINE_CHECK_INTERVAL_MS: '700' }).engineCheckIntervalMs).toBe(700);
    expect(parseCliOptions(full, {}).engineCheckIntervalMs).toBeUndefined();
    expect(() => parseCliOptions([...full, '--engine-check-interval-ms', '0'], {})).toThrow(/^bad --engine-check-interval-ms "0": expected a positive integer/);
  });

  it('names the missing option', () => {
    expect(() => parseCliOptions(full.slice(2), {})).toThrow('missing --controller (or BERTH_CONTROLLER)');
  });

  it.each([
    [['--controller', 'no-port'], /bad --controller/],
    [['--address', 'not-an-ip'], /bad --address/],
    [['--node-name', 'Bad_Name'], /bad --node-name/],
    [['--docker-host', 'ftp://x'], /bad --docker-host/],
    [['--unknown'], /Unknown option '--unknown'/],
  ])('rejects %j with a one-line message', (extra, message) => {
    let error: Error | undefined;
    try {
      parseCliOptions([...full, ...extra], {});
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain('\n');
  });
});

describe('parseCliOptions with a config file', () => {
  it('reads settings from --config or BERTH_AGENT_CONFIG, with env and flags winning', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(`${tmpdir()}/berth-agent-cfg-`);
    try {
      const file = `${dir}/agent.yaml`;
      writeFileSync(
        file,
        `controller: ctl.example:7071\njoinToken: ${token('file')}\nnode-name: file-node\naddress: 10.0.0.12\ndocker-host: unix:///run/d.sock\n`,
      );
      expect(parseCliOptions(['--config', file], {})).toEqual({
        controller: 'ctl.example:7071',
        joinToken: token('file'),
        nodeName: 'file-node',
        address: '10.0.0.12',
        dockerHost: 'unix:///run/d.sock',
      });
      const viaEnv = parseCliOptions(['--node-name', 'flag-node'], { BERTH_AGENT_CONFIG: file, BERTH_JOIN_TOKEN: token('env') });
      expect(viaEnv).toMatchObject({ nodeName: 'flag-node', joinToken: token('env'), controller: 'ctl.example:7071' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names an unreadable config file', () => {
    expect(() => parseCliOptions(['--config', '/nonexistent/berth-agent.yaml'], {})).toThrow(/cannot read --config \/nonexistent/);
  });

  it('reads the container guards: protected networks as canonical CIDRs, egress policy, disk check interval in seconds', () => {
    const env = { BERTH_PROTECTED_NETWORKS: '10.0.0.0/24, 192.0.2.7', BERTH_CONTAINER_EGRESS: 'deny' };
    expect(parseCliOptions([...full, '--storage-check-interval', '2'], env)).toMatchObject({
      protectedNetworks: ['10.0.0.0/24', '192.0.2.7/32'],
      containerEgress: 'deny',
      storageCheckIntervalMs: 2000,
    });
    expect(parseCliOptions(full, {})).not.toHaveProperty('containerEgress');
  });

  it('refuses a bad protected network, egress policy or interval with a one-line reason', () => {
    expect(() => parseCliOptions([...full, '--protected-networks', '10.0.0.0/24,nope'], {})).toThrow(
      /^bad --protected-networks: "nope" is not an IPv4 address or CIDR/,
    );
    expect(() => parseCliOptions([...full, '--container-egress', 'maybe'], {})).toThrow(/^bad --container-egress "maybe": expected allow or deny$/);
    expect(() => parseCliOptions([...full, '--storage-check-interval', '0'], {})).toThrow(/^bad --storage-check-interval "0"/);
  });

  it('leaves protections out only when a measurement names them, and refuses an unknown one', () => {
    expect(parseCliOptions(full, {})).not.toHaveProperty('measureWithout');
    expect(parseCliOptions(full, { BERTH_MEASURE_WITHOUT: 'network, rules,network' })).toMatchObject({ measureWithout: ['network', 'rules'] });
    expect(() => parseCliOptions([...full, '--measure-without', 'firewall'], {})).toThrow(
      /^bad --measure-without: "firewall" is not one of network, rules, hardening$/,
    );
  });
});
