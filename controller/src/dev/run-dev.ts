// `berth dev`: the whole platform in one process, in the spirit of `nomad agent -dev`: the
// controller on SQLite, an agent for the local Docker engine, the API. Safe to re-run on the same
// data directory; Ctrl-C stops it and keeps the data (and the running containers, which the next
// start adopts).
import os from 'node:os';
import path from 'node:path';
import { startAgent } from '@berth/agent';
import { startController, createLogger } from '../server/index.ts';
import { resolveAccountsConfig } from '../server/accounts-config.ts';
import { exitWithin, resolveTuning } from '../server/run-controller.ts';
import { reuseOrIssueAdminToken } from '../auth/index.ts';
import { readClientConfig, writeDevClientConfig } from '../cli/config.ts';
import type { PrismaClient as Db } from '../store/index.ts';

export interface DevOptions {
  dataDir?: string;
  port?: number;
  publicAddress?: string;
  dockerHost?: string;
  nodeName?: string;
}

export function defaultDataDir(): string {
  return process.env.BERTH_DATA_DIR ?? path.join(os.homedir(), '.berth');
}

function previousToken(configPath: string): string | undefined {
  try {
    return readClientConfig(configPath)?.token;
  } catch {
    return undefined;
  }
}

export async function startDev(opts: DevOptions = {}) {
  const dataDir = path.resolve(opts.dataDir ?? defaultDataDir());
  const log = createLogger({ name: 'berth-dev' });
  const controller = await startController({
    dataDir,
    httpPort: opts.port ?? 7070,
    // Plain HTTP, which the controller allows on loopback only: nothing leaves this machine.
    httpHost: '127.0.0.1',
    apiTls: { mode: 'off' },
    grpcPort: 0, // the agent is in-process; any free port will do
    publicAddress: opts.publicAddress ?? '127.0.0.1',
    accounts: resolveAccountsConfig(process.env),
    ...resolveTuning(process.env),
    log,
  });
  const token = await reuseOrIssueAdminToken(controller.store.db, previousToken(path.join(dataDir, 'berth.config')));
  const written = writeDevClientConfig(dataDir, { server: controller.url, token, user: 'admin' });
  const agent = await startAgent({
    controller: controller.grpcAddress,
    joinToken: controller.joinToken,
    nodeName: opts.nodeName ?? 'local',
    address: '127.0.0.1',
    // Its node key and mounts stay with the dev instance (and need no root).
    stateDir: path.join(dataDir, 'agent'),
    dockerHost: opts.dockerHost ?? process.env.DOCKER_HOST,
    log: log.child({ component: 'agent' }),
  });
  await waitForNode(controller.store.db, opts.nodeName ?? 'local', () => controller.settle());
  return {
    controller,
    agent,
    dataDir,
    configPath: written.path,
    defaultConfigWritten: written.defaultWritten,
    async stop() {
      await agent.stop();
      await controller.stop();
    },
  };
}

async function waitForNode(db: Db, name: string, settle: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    await settle();
    const node = await db.node.findUnique({ where: { name } });
    const ready = ((node?.status ?? {}) as { conditions?: Array<{ type: string; status: string }> }).conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (ready) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the local agent did not register within 30s; is the Docker engine running?`);
}

export async function runDev(opts: DevOptions): Promise<void> {
  const dev = await startDev(opts);
  const out = process.stdout;
  out.write(`Berth dev is running.\n`);
  out.write(`  API:        ${dev.controller.url} (plain HTTP, on loopback only: \`berth controller\` serves HTTPS)\n`);
  out.write(`  data:       ${dev.dataDir}\n`);
  out.write(`  CLI config: ${dev.configPath}${dev.defaultConfigWritten ? ' (also the default)' : ''}\n`);
  out.write(`  NAT:        ${dev.controller.nat.kind}\n`);
  out.write(`Try: npx berth apply -f examples/quickstart.yaml && npx berth get reservations\n`);
  await new Promise<void>((resolve) => {
    const shutdown = () => resolve();
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });
  out.write('stopping...\n');
  exitWithin(12_000, console);
  await dev.stop();
  process.exit(0);
}
