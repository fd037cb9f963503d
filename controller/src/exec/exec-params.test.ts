import { describe, expect, it } from 'vitest';
import { BerthError } from '../errors/index.ts';
import { DEFAULT_EXEC_LIMITS, describeCommand, parseExecQuery } from './exec-params.ts';

const field = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof BerthError ? { code: err.code, field: err.field, message: err.message } : err;
  }
  throw new Error('did not throw');
};

describe('exec request validation', () => {
  it('takes the command, flags, size and timeout, with the default time limit', () => {
    expect(parseExecQuery({ command: ['sh', '-c', 'exit 3'] }, DEFAULT_EXEC_LIMITS)).toEqual({
      command: ['sh', '-c', 'exit 3'],
      tty: false,
      stdin: false,
      timeoutMs: 3600_000,
    });
    expect(parseExecQuery({ command: 'sh', tty: '1', stdin: 'true', rows: '40', cols: '120', timeout: '30m' }, DEFAULT_EXEC_LIMITS)).toEqual({
      command: ['sh'],
      tty: true,
      stdin: true,
      size: { rows: 40, cols: 120 },
      timeoutMs: 1_800_000,
    });
  });

  it('names the field of each bad input', () => {
    const L = DEFAULT_EXEC_LIMITS;
    expect(field(() => parseExecQuery({}, L))).toMatchObject({ code: 'Invalid', field: 'command' });
    expect(field(() => parseExecQuery({ command: ['a\0b'] }, L))).toMatchObject({ field: 'command', message: expect.stringMatching(/NUL/) });
    expect(field(() => parseExecQuery({ command: Array(257).fill('x') }, L))).toMatchObject({ field: 'command', message: expect.stringMatching(/256/) });
    expect(field(() => parseExecQuery({ command: ['x'.repeat(5000)] }, L))).toMatchObject({ field: 'command', message: expect.stringMatching(/4096/) });
    expect(field(() => parseExecQuery({ command: Array(5).fill('x'.repeat(4000)) }, L))).toMatchObject({ message: expect.stringMatching(/in all/) });
    expect(field(() => parseExecQuery({ command: 'sh', timeout: '25h' }, L))).toMatchObject({
      field: 'timeout',
      message: expect.stringMatching(/limit of 1d/),
    });
    expect(field(() => parseExecQuery({ command: 'sh', timeout: 'soon' }, L))).toMatchObject({ field: 'timeout' });
    expect(field(() => parseExecQuery({ command: 'sh', tty: 'yes' }, L))).toMatchObject({ field: 'tty' });
    expect(field(() => parseExecQuery({ command: 'sh', rows: '24' }, L))).toMatchObject({ field: 'cols' });
    expect(field(() => parseExecQuery({ command: 'sh', rows: '0', cols: '80' }, L))).toMatchObject({ field: 'rows' });
  });

  it('describes a command as a shell would read it, without control characters, cut to length', () => {
    expect(describeCommand(['sh', '-c', "echo 'hi' there"])).toBe(`sh -c 'echo '\\''hi'\\'' there'`);
    expect(describeCommand(['printf', '\u001b[2J'])).toBe("printf '?[2J'");
    const long = describeCommand(['echo', 'x'.repeat(500)], 50);
    expect(long).toHaveLength(50);
    expect(long.endsWith('…')).toBe(true);
  });
});
