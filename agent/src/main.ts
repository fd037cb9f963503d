import pino from 'pino';
import { DEFAULT_STOP_DEADLINE_MS, startAgent } from './agent.ts';
import { parseCliOptions } from './cli-options.ts';

// The agent exits within 10 s of SIGTERM/SIGINT even when the controller or the engine does not
// answer: stop() gives up on its steps at STOP_DEADLINE_MS, and a timer exits at HARD_EXIT_MS.
const STOP_DEADLINE_MS = DEFAULT_STOP_DEADLINE_MS;
const HARD_EXIT_MS = 9_000;

/** `berth-agent install ...`: writes the systemd unit and env file, then exits. */
async function install(argv: string[]): Promise<void> {
  const { installAgent } = await import('./install/index.ts');
  try {
    const { unitFile, envFile } = await installAgent(argv, process.env);
    process.stdout.write(`wrote ${unitFile} and ${envFile}\nnext: systemctl daemon-reload && systemctl enable --now berth-agent\n`);
    process.exit(0);
  } catch (err) {
    process.stderr.write(`berth-agent install: ${(err as Error).message}\n`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === 'install') return install(process.argv.slice(3));
  let options: ReturnType<typeof parseCliOptions>;
  try {
    options = parseCliOptions(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`berth-agent: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const log = pino({ name: 'berth-agent', redact: ['joinToken', '*.joinToken', 'register.joinToken'] });
  let agent: Awaited<ReturnType<typeof startAgent>>;
  try {
    agent = await startAgent({ ...options, log });
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'agent failed to start');
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      // A second signal is the operator insisting.
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal, deadlineMs: STOP_DEADLINE_MS }, 'shutting down');
    // Last resort should a stop step ignore its own deadline; unref'd so it never holds the process.
    setTimeout(() => {
      log.error({ afterMs: HARD_EXIT_MS }, 'shutdown overran its deadline, exiting');
      process.exit(1);
    }, HARD_EXIT_MS).unref();
    agent.stop(STOP_DEADLINE_MS).then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err: String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

await main();
