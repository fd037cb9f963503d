import pino from 'pino';
import { startAgent } from './agent.ts';
import { parseCliOptions } from './cli-options.ts';

async function main(): Promise<void> {
  let options;
  try {
    options = parseCliOptions(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`berth-agent: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const log = pino({ name: 'berth-agent', redact: ['joinToken', '*.joinToken', 'register.joinToken'] });
  let agent;
  try {
    agent = await startAgent({ ...options, log });
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'agent failed to start');
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    agent.stop().then(
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
