import type { DockerOptions } from 'dockerode';

/** Turns a DOCKER_HOST-style URL (unix:///path, tcp://host:port, http(s)://host:port) into dockerode options. */
export function parseDockerHost(url: string): DockerOptions {
  if (url.startsWith('unix://')) {
    const socketPath = url.slice('unix://'.length);
    if (!socketPath) throw new Error(`docker host ${url}: missing socket path`);
    return { socketPath };
  }
  const m = /^(tcp|http|https):\/\/([^:/]+|\[[^\]]+\]):(\d+)\/?$/.exec(url);
  if (!m) throw new Error(`docker host ${url}: expected unix:///path or tcp://host:port`);
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw new Error(`docker host ${url}: port out of range`);
  return { host: m[2], port, protocol: m[1] === 'https' ? 'https' : 'http' };
}

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';
