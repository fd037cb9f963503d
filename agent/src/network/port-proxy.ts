// The userland half of a published port, as docker-proxy is the engine's: the nat rules cannot
// reach a connection that was already DNATed in this network namespace (the controller and the
// agent on one host in dev mode) nor one to loopback, so a listener on the host port relays those.
import { connect, createServer, type Server, type Socket } from 'node:net';
import type pino from 'pino';
import { isAnyAddress, type PortForward } from './port-forwards.ts';

interface Listener {
  server: Server;
  /** Read at each accept, so a new target takes over without the port closing. */
  forward: PortForward;
  sockets: Set<Socket>;
}

export class PortProxy {
  private readonly listeners = new Map<string, Listener>();
  private readonly log?: pino.Logger;
  // A sync must not open a port a concurrent one is closing, nor the same port twice.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: { log?: pino.Logger } = {}) {
    this.log = opts.log?.child({ component: 'port-proxy' });
  }

  /**
   * One listener per host address and port of the forwards. A port that cannot be bound is
   * logged and tried again at the next sync; it keeps neither this sync nor the others from going on.
   */
  sync(forwards: readonly PortForward[]): Promise<void> {
    return this.serial(async () => {
      const wanted = new Map(forwards.map((f) => [keyOf(f), f]));
      const gone = [...this.listeners].filter(([key]) => !wanted.has(key));
      await Promise.all(gone.map(([key]) => this.stop(key)));
      await Promise.all([...wanted].map(([key, f]) => this.ensure(key, f)));
    });
  }

  /** Closes every listener and cuts every relayed connection. */
  close(): Promise<void> {
    return this.serial(async () => {
      await Promise.all([...this.listeners.keys()].map((key) => this.stop(key)));
    });
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async ensure(key: string, forward: PortForward): Promise<void> {
    const existing = this.listeners.get(key);
    if (existing) {
      if (existing.forward.targetIp !== forward.targetIp || existing.forward.targetPort !== forward.targetPort) {
        this.log?.info(fieldsOf(forward), 'port proxy re-pointed');
      }
      existing.forward = forward;
      return;
    }
    const listener: Listener = { server: createServer({ allowHalfOpen: true }), forward, sockets: new Set() };
    listener.server.on('connection', (client) => this.relay(client, listener));
    try {
      await listen(listener.server, hostOf(forward), forward.hostPort);
    } catch (err) {
      this.log?.warn({ ...fieldsOf(forward), err }, 'port proxy cannot listen, will retry');
      return;
    }
    listener.server.on('error', (err) => this.log?.warn({ ...fieldsOf(listener.forward), err }, 'port proxy listener failed'));
    this.listeners.set(key, listener);
    this.log?.info(fieldsOf(forward), 'port proxy listening');
  }

  private async stop(key: string): Promise<void> {
    const listener = this.listeners.get(key)!;
    this.listeners.delete(key);
    // server.close() waits for open connections: the forward is gone, so they go with it.
    for (const socket of listener.sockets) socket.destroy();
    await new Promise<void>((resolve) => listener.server.close(() => resolve()));
    this.log?.info(fieldsOf(listener.forward), 'port proxy closed');
  }

  private relay(client: Socket, listener: Listener): void {
    const { targetIp, targetPort } = listener.forward;
    const upstream = connect({ host: targetIp, port: targetPort, allowHalfOpen: true });
    upstream.on('error', (err) => this.log?.debug({ ...fieldsOf(listener.forward), err }, 'port proxy connection to target failed'));
    splice(client, upstream, listener.sockets);
    splice(upstream, client, listener.sockets);
  }
}

/**
 * One direction of a relayed connection. Half-open on both ends, so a FIN is passed on while the
 * other direction keeps flowing. A reset or error cuts both ends at once; a clean close lets the
 * other end flush what it still holds before it is destroyed.
 */
function splice(from: Socket, to: Socket, sockets: Set<Socket>): void {
  sockets.add(from);
  from.on('error', () => to.destroy());
  from.on('close', (hadError) => {
    sockets.delete(from);
    if (hadError) to.destroy();
    else to.end(() => to.destroy());
  });
  from.pipe(to);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function hostOf(forward: PortForward): string {
  return isAnyAddress(forward.hostIp) ? '0.0.0.0' : forward.hostIp;
}

function keyOf(forward: PortForward): string {
  return `${hostOf(forward)}:${forward.hostPort}`;
}

function fieldsOf(f: PortForward) {
  return { hostIp: hostOf(f), hostPort: f.hostPort, targetIp: f.targetIp, targetPort: f.targetPort, reservationId: f.reservationId };
}
