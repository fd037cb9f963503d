// `berth exec` over HTTP: `POST /api/v1/reservations/NAME/exec?command=...` with `Connection:
// Upgrade` and `Upgrade: berth-exec.v1` (Docker's attach and Kubernetes' exec do the same). The
// upgrade is routed through fastify like any request, so authentication, validation, 404 for
// another tenant's reservation and the error bodies are the API's own; only a request the route
// accepts is switched (101) to framed bytes (exec/exec-frames.ts). A raw upgrade rather than a
// WebSocket: no new dependency, one TCP/TLS connection whose own flow control carries the
// backpressure through to the agent, and the same trust (CA, token) as every other CLI call.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BerthError } from '../errors/index.ts';
import * as svc from '../services/index.ts';
import {
  describeCommand,
  encodeFrame,
  EXEC_PROTOCOL,
  FrameReader,
  FrameType,
  parseExecQuery,
  parseSize,
  type ExecEnd,
  type ExecHandle,
  type ExecParams,
  type ExecQuery,
} from '../exec/index.ts';

const UPGRADE = Symbol('berth-exec-upgrade');
interface Upgrade {
  socket: Duplex;
  head: Buffer;
}
const upgradeOf = (req: FastifyRequest): Upgrade | undefined => (req.raw as unknown as { [UPGRADE]?: Upgrade })[UPGRADE];

/**
 * Hands upgrade requests to fastify's router, marked when they ask for exec. With an 'upgrade'
 * listener Node routes every request carrying `Upgrade` here (curl's `h2c` too): a GET or HEAD
 * for anything else is answered as if it had not asked; other methods would bring a body the
 * upgrade path cannot read, and are refused.
 */
export function registerExecUpgrade(app: FastifyInstance): void {
  app.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const ours = String(req.headers.upgrade ?? '').toLowerCase() === EXEC_PROTOCOL;
    if (!ours && req.method !== 'GET' && req.method !== 'HEAD') {
      const body = JSON.stringify(new BerthError('Invalid', `upgrade to "${String(req.headers.upgrade)}" is not supported here`).toBody());
      socket.end(
        `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
      return;
    }
    if (ours) (req as unknown as { [UPGRADE]: Upgrade })[UPGRADE] = { socket, head };
    const res = new http.ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as never);
    // An answer other than the switch (an error, or any other route) closes the connection once written.
    res.on('finish', () => socket.end());
    app.routing(req, res);
  });
}

/** The route inside the authenticated /api/v1 scope. */
export function registerExecRoute(api: FastifyInstance, ctx: svc.ServiceContext): void {
  api.post<{ Params: { name: string }; Querystring: ExecQuery }>('/reservations/:name/exec', async (req, reply) => {
    const up = upgradeOf(req);
    if (!up) throw new BerthError('Invalid', `exec needs an HTTP/1.1 upgrade to ${EXEC_PROTOCOL} (use berth exec)`);
    const broker = ctx.exec;
    if (!broker) throw new BerthError('Unavailable', 'exec is not running in this server');
    const params = parseExecQuery(req.query, broker.limits);
    const obj = await svc.getReservation(ctx, req.user, req.params.name);
    const row = await ctx.db.reservation.findUnique({ where: { id: obj.metadata.uid }, select: { id: true, name: true, nodeId: true, phase: true } });
    if (!row?.nodeId || row.phase !== 'Running')
      throw new BerthError('Conflict', `reservation "${req.params.name}" is ${row?.phase ?? 'gone'}: exec needs it Running`);
    const what = `${describeCommand(params.command)}${params.tty ? ' (tty)' : ''}`;
    const conn = new ExecConnection(up, params);
    // Throws (429, 503) before anything is switched: fastify answers it as any error.
    const handle = broker.start({ nodeId: row.nodeId, reservationId: row.id, userId: req.user.id }, params, {
      output: (stream, data, delivered) => conn.output(stream, data, delivered),
      resume: () => up.socket.resume(),
      end: (how) => {
        conn.end(how);
        const log = { reservation: row.id, user: req.user.username, result: how };
        if ('exitCode' in how) req.log.info(log, 'exec ended');
        else req.log.warn(log, 'exec ended');
        ctx.events.record({
          type: 'exitCode' in how ? 'Normal' : 'Warning',
          kind: 'Reservation',
          objectId: row.id,
          objectName: row.name,
          reason: 'ExecEnded',
          message: `exec by ${req.user.username} ended: ${'exitCode' in how ? `exit code ${how.exitCode}` : 'limit' in how ? how.message : how.error.message}`,
        });
      },
    });
    ctx.events.record({ kind: 'Reservation', objectId: row.id, objectName: row.name, reason: 'Exec', message: `exec by ${req.user.username}: ${what}` });
    req.log.info({ reservation: row.id, user: req.user.username, command: what }, 'exec started');
    reply.hijack();
    conn.open(handle);
    return reply;
  });
}

/** One client's upgraded connection: frames in, frames out. */
class ExecConnection {
  private readonly reader = new FrameReader();
  private handle?: ExecHandle;
  private ended = false;

  constructor(
    private readonly up: Upgrade,
    private readonly params: ExecParams,
  ) {}

  open(handle: ExecHandle): void {
    this.handle = handle;
    const { socket, head } = this.up;
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: ${EXEC_PROTOCOL}\r\n\r\n`);
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    // HTTP server sockets allow half-open connections: a client's end (FIN) alone never closes
    // ours, and the protocol ends stdin with a frame, so an end means the client is gone.
    const gone = () => handle.cancel('the client disconnected: exec ended');
    socket.on('end', gone);
    socket.on('close', gone);
    if (head.length) this.read(head);
  }

  output(stream: 'stdout' | 'stderr', data: Buffer, delivered: () => void): void {
    if (this.ended) return;
    this.up.socket.write(encodeFrame(stream === 'stderr' ? FrameType.Stderr : FrameType.Stdout, data), () => delivered());
  }

  end(how: ExecEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.up.socket.end(encodeFrame(FrameType.Exit, JSON.stringify(how)));
  }

  private read(chunk: Buffer): void {
    const h = this.handle;
    if (!h || this.ended) return;
    // Stdin frames of one read go to the node as one message: a client sending 1-byte frames must
    // not turn each into a message on the node's stream.
    let input: Buffer[] = [];
    const flush = () => {
      if (input.length && this.params.stdin && !h.stdin(Buffer.concat(input))) this.up.socket.pause();
      input = [];
    };
    try {
      for (const f of this.reader.push(chunk)) {
        if (f.type === FrameType.Stdin) input.push(f.payload);
        else if (f.type === FrameType.StdinEof) {
          flush();
          h.stdinEof();
        } else if (f.type === FrameType.Resize) {
          flush();
          const size = parseSize(f.payload);
          if (this.params.tty) h.resize(size);
        } else throw new BerthError('Invalid', `exec stream: frame type ${f.type} is not for the server`);
      }
      flush();
    } catch (err) {
      h.cancel(err instanceof BerthError ? err.message : 'exec stream: unreadable input');
    }
  }
}
