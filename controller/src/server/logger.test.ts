import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, log: createLogger({ level: 'debug', destination: stream }) };
}

describe('controller logger', () => {
  it('redacts tokens, passwords and authorization headers wherever they appear', () => {
    const { lines, log } = capture();
    const secret = 'berth_SECRETtoken123';
    const password = 'hunter2-Password!';
    log.info({ token: secret, password, passwordHash: '$2b$10$abc' }, 'top level');
    log.info({ req: { headers: { authorization: `Bearer ${secret}` } } }, 'request');
    log.child({ component: 'auth' }).warn({ body: { password, token: secret }, headers: { authorization: secret } }, 'nested');
    const out = lines.join('');
    expect(lines).toHaveLength(3);
    expect(out).not.toContain(secret);
    expect(out).not.toContain(password);
    expect(out).not.toContain('$2b$10$abc');
    expect(out.match(/\[redacted\]/g)?.length).toBeGreaterThanOrEqual(6);
  });
});
