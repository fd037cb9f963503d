import net from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, FrameReader, FrameType, type Frame } from '../exec/index.ts';
import { execPath } from './commands/exec.ts';
import { exitCodeOfExec, runExecSession } from './exec-session.ts';

let server: net.Server | undefined;
afterEach(() => server?.close());

/** A loopback connection whose server side records the client's frames and answers with `reply`. */
async function connect(reply: (frames: Frame[], sock: net.Socket) => void): Promise<{ client: net.Socket; frames: Frame[] }> {
  const frames: Frame[] = [];
  server = net.createServer((sock) => {
    const r = new FrameReader();
    sock.on('data', (d) => {
      frames.push(...r.push(d));
      reply(frames, sock);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise((resolve) => client.once('connect', resolve));
  return { client, frames };
}

describe('the CLI end of an exec', () => {
  it('sends the size, stdin and its end, writes stdout and stderr apart, and returns how it ended', async () => {
    const { client, frames } = await connect((fs, sock) => {
      if (fs.some((f) => f.type === FrameType.StdinEof) && !sock.writableEnded)
        sock.end(Buffer.concat([encodeFrame(FrameType.Stdout, 'out'), encodeFrame(FrameType.Stderr, 'err'), encodeFrame(FrameType.Exit, '{"exitCode":3}')]));
    });
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const ended = runExecSession(client, { stdin, stdout, stderr, size: () => ({ rows: 24, cols: 80 }) });
    stdin.end('typed');
    expect(await ended).toEqual({ exitCode: 3 });
    expect(stdout.read().toString()).toBe('out');
    expect(stderr.read().toString()).toBe('err');
    expect(frames.map((f) => [f.type, f.payload.toString()])).toEqual([
      [FrameType.Resize, '{"rows":24,"cols":80}'],
      [FrameType.Stdin, 'typed'],
      [FrameType.StdinEof, ''],
    ]);
  });

  it('fails when the server closes without saying how the command ended', async () => {
    const { client } = await connect((_fs, sock) => sock.end());
    const run = runExecSession(client, { stdout: new PassThrough(), stderr: new PassThrough() });
    await expect(run).rejects.toThrow(/closed before the command ended/);
  });

  it('maps the end to an exit code: the command, 124 for a limit, the error code otherwise', () => {
    expect(exitCodeOfExec({ exitCode: 0 })).toBe(0);
    expect(exitCodeOfExec({ limit: 'idle', message: 'x' })).toBe(124);
    expect(exitCodeOfExec({ error: { code: 'Unavailable', message: 'node lost' } })).toMatchObject({ code: 'Unavailable', message: 'node lost' });
  });

  it('puts each argument in its own command parameter', () => {
    expect(execPath('my box', ['sh', '-c', 'a && b'], { stdin: true, tty: false })).toBe(
      'api/v1/reservations/my%20box/exec?command=sh&command=-c&command=a+%26%26+b&stdin=1',
    );
    expect(() => execPath('box', [], { stdin: false, tty: false })).toThrow(/give the command/);
  });
});
