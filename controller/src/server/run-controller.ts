// `berth controller`: the management node alone. Flags win over environment variables, which
// win over the config file (YAML, --config or BERTH_CONTROLLER_CONFIG), which win over defaults.
import path from 'node:path';
import { BerthError } from '../errors/index.ts';
import { reuseOrIssueAdminToken } from '../auth/index.ts';
import { readAdminContext, saveAdminContext } from '../client-config/index.ts';
import { startController } from './start-controller.ts';
import { createLogger } from './logger.ts';
import { CONTROLLER_PROFILE } from '../settings/resolve.ts';
import { resolveControllerConfig, type ResolvedControllerConfig } from '../settings/controller-config.ts';
import type { SettingKey } from '../settings/table.ts';
import { caPaths, certificateFingerprint, formatFingerprint } from '../pki/index.ts';
import type { PrismaClient as Db } from '../store/index.ts';

/** Parsed flags of `berth controller`, by setting key (see ../settings/table.ts), and --config. */
export type ControllerFlags = Partial<Record<SettingKey, string | number | boolean>> & { config?: string };

/** Flags > environment > the YAML config file (--config / BERTH_CONTROLLER_CONFIG) > defaults. */
export function resolveControllerSettings(flags: ControllerFlags, env: NodeJS.ProcessEnv = process.env): ResolvedControllerConfig {
  return resolveControllerConfig({ flags, env }, CONTROLLER_PROFILE);
}

/**
 * Keeps the admin's token of an earlier start while it is valid; writes a fresh one (valid for
 * ttlMs) otherwise, into the admin context of the file (0600: it holds an admin token), leaving
 * any other context there alone. Returns the token.
 */
export async function ensureAdminConfig(db: Db, file: string, server: string, ttlMs?: number, ca?: string): Promise<string> {
  let previous: string | undefined;
  try {
    previous = readAdminContext(file)?.token;
  } catch {
    previous = undefined; // a broken file: saving below reports it
  }
  const token = await reuseOrIssueAdminToken(db, previous, Date.now(), ttlMs);
  saveAdminContext(file, { server, token, ca });
  return token;
}

export async function runController(flags: ControllerFlags): Promise<void> {
  const { logLevel, ...settings } = resolveControllerSettings(flags);
  const log = createLogger({ level: logLevel });
  const controller = await startController({ ...settings, log });
  const clientHost = ['0.0.0.0', '::'].includes(settings.httpHost) ? '127.0.0.1' : settings.httpHost;
  const scheme = settings.apiTls.mode === 'off' ? 'http' : 'https';
  const adminServer = `${scheme}://${clientHost.includes(':') ? `[${clientHost}]` : clientHost}:${controller.config.httpPort}`;
  await ensureAdminConfig(
    controller.store.db,
    path.join(settings.dataDir, 'berth.config'),
    adminServer,
    settings.accounts.adminTokenTtlMs,
    controller.caPem,
  ).catch((err: unknown) => {
    // A customer holding the admin's name is not promoted, and a broken berth.config is not
    // overwritten: the cluster still serves, and the error says what to fix (an admin can also
    // be created with `berth admin create-user NAME --admin`).
    if (!(err instanceof BerthError) || (err.code !== 'Conflict' && err.code !== 'Invalid')) throw err;
    log.error({ err: err.message }, 'no bootstrap admin token written');
  });
  process.stdout.write(
    `Berth controller listening on ${controller.url} (agents: ${controller.grpcAddress}); join token in ${path.join(settings.dataDir, 'join-token')}\n`,
  );
  process.stdout.write(`${apiTrustLine(settings.apiTls.mode, settings.dataDir, controller.caPem)}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  exitWithin(settings.shutdownTimeoutMs + 2_000, log);
  await controller.stop();
  // Everything is closed or abandoned: a socket of an unreachable node must not keep us alive.
  process.exit(0);
}

/** What clients must trust, for the start-up output: admins hand this CA to their users. */
function apiTrustLine(mode: string, dataDir: string, caPem: string | undefined): string {
  if (mode === 'off') return 'API over plain HTTP (tls off): reachable on loopback only';
  if (mode === 'files')
    return `API over HTTPS with the certificate from --tls-cert${caPem ? ` (CA sha256 ${formatFingerprint(certificateFingerprint(caPem))})` : ''}`;
  return `API over HTTPS; clients trust the Berth CA in ${caPaths(dataDir).cert} (sha256 ${formatFingerprint(certificateFingerprint(caPem!))}), also printed by \`berth config ca\``;
}

/** The orderly stop has a deadline of its own; this is the guarantee behind it. */
export function exitWithin(ms: number, log: { error: (o: object, m: string) => void }): void {
  setTimeout(() => {
    log.error({ afterMs: ms }, 'shutdown took too long; exiting');
    process.exit(1);
  }, ms).unref();
}
