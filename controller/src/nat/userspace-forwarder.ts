import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { BerthError } from '../errors/index.ts';
import { validateEndpoints, type NatEndpoint } from './endpoint.ts';
import type { NatBackend } from './nat-backend.ts';
import { Mutex } from '../lib/mutex.ts';

export interface UserspaceNatOptions {
  log: Logger;
}

interface Listener {
  server: Server;
  key: string;
  // Read per connection, so re-targeting affects new connections and leaves open ones alone.
  target: { host: string; port: number };
  sockets: Set<Socket>;
}

/** Public endpoints served by a TCP listener per endpoint, for hosts where iptables is not ours to manage. */
export class UserspaceNat implements NatBackend {
  readonly kind = 'userspace' as const;
  private readonly log: Logger;
  private readonly queue = new Mutex();
  private readonly listeners = new Map<string, Listener>();

  constructor(opts: UserspaceNatOptions) {
    this.log = opts.log.child({ component: 'nat', backend: 'userspace' });
  }

  sync(endpoints: NatEndpoint[]): Promise<void> {
    return this.queue.run(() => this.apply(endpoints));
  }

  close(): Promise<void> {
    return this.queue.run(async () => {
      await Promise.all([...this.listeners.keys()].map((listen) => this.stop(listen)));
    });
  }

  private async apply(endpoints: NatEndpoint[]): Promise<void> {
    validateEndpoints(endpoints);
    const desired = new Map(endpoints.map((e) => [`${e.publicAddress}:${e.natPort}`, e]));
    const removed = [...this.listeners.keys()].filter((listen) => !desired.has(listen));
    await Promise.all(removed.map((listen) => this.stop(listen)));
    const failed: string[] = [];
    for (const [listen, e] of desired) {
      const existing = this.listeners.get(listen);
      if (existing) {
        this.retarget(existing, e);
        continue;
      }
      try {
        await this.start(listen, e);
      } catch (err) {
        // Keep going: one taken port must not take the other endpoints down. Not recorded,
        // so the next sync tries again.
        this.log.error({ endpoint: e.key, listen, err }, 'nat listener failed');
        failed.push(listen);
      }
    }
    if (failed.length > 0) {
      throw new BerthError('Unavailable', `could not listen on ${failed.join(', ')}`, undefined, { failed });
    }
  }

  private retarget(listener: Listener, e: NatEndpoint): void {
    const { host, port } = listener.target;
    listener.key = e.key;
    if (host === e.nodeAddress && port === e.nodePort) return;
    listener.target = { host: e.nodeAddress, port: e.nodePort };
    this.log.info({ endpoint: e.key, node: `${e.nodeAddress}:${e.nodePort}` }, 'nat endpoint re-targeted');
  }

  private async start(listen: string, e: NatEndpoint): Promise<void> {
    const listener: Listener = {
      server: createServer({ allowHalfOpen: true }, (client) => this.forward(listener, client)),
      key: e.key,
      target: { host: e.nodeAddress, port: e.nodePort },
      sockets: new Set(),
    };
    await new Promise<void>((resolve, reject) => {
      listener.server.once('error', reject);
      listener.server.listen(e.natPort, e.publicAddress, () => {
        listener.server.off('error', reject);
        resolve();
      });
    });
    listener.server.on('error', (err) => this.log.error({ endpoint: listener.key, err }, 'nat listener error'));
    this.listeners.set(listen, listener);
    this.log.info({ endpoint: e.key, listen, node: `${e.nodeAddress}:${e.nodePort}` }, 'nat endpoint listening');
  }

  private async stop(listen: string): Promise<void> {
    const listener = this.listeners.get(listen);
    if (!listener) return;
    this.listeners.delete(listen);
    // The reservation is gone, so its open connections go too.
    for (const socket of listener.sockets) socket.destroy();
    await new Promise<void>((resolve) => listener.server.close(() => resolve()));
    this.log.info({ endpoint: listener.key, listen }, 'nat endpoint closed');
  }

  private forward(listener: Listener, client: Socket): void {
    const upstream = connect({ ...listener.target, allowHalfOpen: true });
    // A reset, not a FIN, so a client of a dead node sees a failure as it would through DNAT.
    const destroyBoth = (): void => {
      for (const socket of [client, upstream]) if (!socket.destroyed) socket.resetAndDestroy();
    };
    for (const socket of [client, upstream]) {
      listener.sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('error', destroyBoth);
      socket.on('close', () => listener.sockets.delete(socket));
    }
    // pipe() ends the other side when one side ends: with allowHalfOpen that is a half-close,
    // so a peer can still answer after the client has shut down its sending side.
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
