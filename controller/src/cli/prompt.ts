// Interactive questions on a terminal; passwords are read without echo.

export function isInteractive(): boolean {
  return !!process.stdin.isTTY && !!process.stderr.isTTY;
}

export async function ask(question: string, opts: { secret?: boolean } = {}): Promise<string> {
  // readline on use: only prompts need it, and the CLI's start pays for every module it loads.
  const { createInterface } = process.getBuiltinModule('node:readline');
  const { Writable } = process.getBuiltinModule('node:stream');
  let muted = false;
  const output = new Writable({
    write(chunk, _enc, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    const answer = new Promise<string>((resolve) => rl.question(question, resolve));
    muted = !!opts.secret;
    const value = await answer;
    if (opts.secret) process.stderr.write('\n');
    return value;
  } finally {
    rl.close();
  }
}
