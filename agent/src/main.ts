import pino from 'pino';
import { startAgent } from './agent.ts';
import { parseCliOptions } from './cli-options.ts';

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
  let options;
  try {
    options = parseCliOptions(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`berth-agent: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const log = pino({ name: 'berth-agent', redact: ['joinToken', '*.joinToken', 'register.joinToken', 'privateKey', '*.privateKey', 'storage.privateKey'] });
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
