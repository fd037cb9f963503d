// `berth dev`: the whole platform in one process, in the spirit of `nomad agent -dev`: the
// controller on SQLite, an agent for the local Docker engine, the API. Safe to re-run on the same
// data directory; Ctrl-C stops it and keeps the data (and the running containers, which the next
// start adopts).
import path from 'node:path';
import { startAgent } from '@berth/agent';
import { startController, createLogger } from '../server/index.ts';
import { ensureAdminConfig, exitWithin } from '../server/run-controller.ts';
import { DEV_PROFILE, resolveSettings } from '../settings/resolve.ts';
import { resolveControllerConfig } from '../settings/controller-config.ts';
import type { SettingKey } from '../settings/table.ts';
import { defaultConfigPath, saveDevContext } from '../client-config/index.ts';
import type { PrismaClient as Db } from '../store/index.ts';
import { isNodeReady } from '../domain/index.ts';

/**
 * Settings by key as in ../settings/table.ts (flags of `berth dev`; the environment and a
 * --config file fill the rest, under DEV_PROFILE), and what only an embedding sets.
 */
export type DevOptions = Partial<Record<SettingKey, string | number | boolean>> & {
  config?: string;
  dockerHost?: string;
  nodeName?: string;
};

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolveSettings({ env }, DEV_PROFILE, ['dataDir']).dataDir;
}

/**
 * `berth dev`'s context in the user's default config: added or updated, current only when no
 * context is. A default config that cannot be read is left alone (the reason is reported):
 * DATA_DIR/berth.config still works.
 */
function addDevContext(server: string, token: string): { path: string; name?: string; current: boolean; problem?: string } {
  const file = defaultConfigPath(process.env);
  try {
    return { path: file, ...saveDevContext(file, { server, token }) };
  } catch (err) {
    return { path: file, current: false, problem: (err as Error).message };
  }
}

export async function startDev(opts: DevOptions = {}) {
  const { dockerHost, nodeName, ...flags } = opts;
  // Loopback, plain HTTP, SQLite in ~/.berth: DEV_PROFILE; every other setting as for `berth controller`.
  const { logLevel, ...settings } = resolveControllerConfig({ flags, env: process.env }, DEV_PROFILE);
  const dataDir = settings.dataDir;
  const log = createLogger({ name: 'berth-dev', level: logLevel });
  const controller = await startController({ ...settings, log });
  const configPath = path.join(dataDir, 'berth.config');
  const token = await ensureAdminConfig(controller.store.db, configPath, controller.url);
  const devContext = addDevContext(controller.url, token);
  const agent = await startAgent({
    controller: controller.grpcAddress,
    joinToken: controller.joinToken,
    nodeName: nodeName ?? 'local',
    address: '127.0.0.1',
    // Its node key and mounts stay with the dev instance (and need no root).
    stateDir: path.join(dataDir, 'agent'),
    dockerHost: dockerHost ?? process.env.DOCKER_HOST,
    log: log.child({ component: 'agent' }),
  });
  await waitForNode(controller.store.db, nodeName ?? 'local', () => controller.settle());
  return {
    controller,
    agent,
    dataDir,
    configPath,
    devContext,
    async stop() {
      await agent.stop();
      await controller.stop();
    },
  };
}

function devContextLine(ctx: ReturnType<typeof addDevContext>): string {
  if (!ctx.name) return `not added to ${ctx.path} (${ctx.problem})`;
  if (ctx.current) return `context ${ctx.name} in ${ctx.path} (current)`;
  return `context ${ctx.name} in ${ctx.path} (not current: another context is; \`npx berth config use-context ${ctx.name}\` switches, or \`npx berth --context ${ctx.name} ...\` for one command)`;
}

async function waitForNode(db: Db, name: string, settle: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    await settle();
    const node = await db.node.findUnique({ where: { name } });
    if (isNodeReady(node?.status)) return;
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
  out.write(`  CLI config: ${devContextLine(dev.devContext)}; also ${dev.configPath}\n`);
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
