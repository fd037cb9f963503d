// Observations of the real host: Docker containers, iptables rules, TCP reachability.
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function containersOfNode(nodeName: string, all = true): Promise<Array<{ id: string; name: string; reservation: string; state: string }>> {
  const args = ['ps', '--no-trunc', '--filter', `label=berth.node=${nodeName}`, '--format', '{{.ID}}\t{{.Names}}\t{{.Label "berth.reservation"}}\t{{.State}}'];
  if (all) args.splice(1, 0, '-a');
  const { stdout } = await run('docker', args);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, name, reservation, state] = line.split('\t');
      return { id, name, reservation, state };
    });
}

/** Removes a node's containers and then its tenant networks (the engine's address pools are small). */
export async function removeNodeContainers(nodeName: string): Promise<void> {
  for (const c of await containersOfNode(nodeName)) await run('docker', ['rm', '-f', '-v', c.id]).catch(() => undefined);
  // The agent's warm sandboxes, which hold the tenant networks.
  const sandboxes = await run('docker', ['ps', '-aq', '--filter', `label=berth.sandbox-node=${nodeName}`]).catch(() => ({ stdout: '' }));
  for (const id of sandboxes.stdout.split('\n').filter(Boolean)) await run('docker', ['rm', '-f', id]).catch(() => undefined);
  const { stdout } = await run('docker', ['network', 'ls', '-q', '--filter', `label=berth.node=${nodeName}`]).catch(() => ({ stdout: '' }));
  for (const id of stdout.split('\n').filter(Boolean)) await run('docker', ['network', 'rm', id]).catch(() => undefined);
}

export async function dnatRules(chainPrefix: string): Promise<string[]> {
  try {
    const { stdout } = await run('iptables', ['-w', '5', '-t', 'nat', '-S', `${chainPrefix}-DNAT`]);
    return stdout.split('\n').filter((l) => l.startsWith('-A '));
  } catch {
    return [];
  }
}

/** Connects, sends an HTTP GET and returns what the server answered (or throws). */
export async function httpGetRaw(address: string, timeoutMs = 3000): Promise<string> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error(`timeout connecting to ${address}`)), timeoutMs);
    socket.on('connect', () => socket.end(`GET / HTTP/1.0\r\nHost: ${host}\r\n\r\n`));
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString());
    });
  });
}

/**
 * HOST:PORT where a reservation's container port is published on its node: by the engine, or by
 * the agent for a container in a warm sandbox (its `berth.published` label).
 */
export async function publishedAddress(uid: string, containerPort: number, dockerHost?: string): Promise<string> {
  const host = dockerHost ? ['-H', dockerHost] : [];
  const { stdout: id } = await run('docker', [...host, 'ps', '-q', '--no-trunc', '--filter', `label=berth.reservation=${uid}`]);
  const { stdout } = await run('docker', [...host, 'inspect', id.trim()]);
  const info = JSON.parse(stdout)[0];
  const label = info.Config.Labels?.['berth.published'];
  const bindings = (label ? JSON.parse(label) : info.HostConfig.PortBindings) as Record<string, Array<{ HostIp: string; HostPort: string }>>;
  const [binding] = bindings[`${containerPort}/tcp`] ?? [];
  if (!binding) throw new Error(`reservation ${uid}: port ${containerPort} is not published`);
  return `${binding.HostIp || '0.0.0.0'}:${binding.HostPort}`;
}
