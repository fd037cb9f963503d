// `berth admin ...`. create-user and rotate-token run ON the management node and open the store
// directly (the API never creates admins or bootstrap tokens); the others are admin API calls.
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { BerthError } from '../../errors/index.ts';
import type { CliDeps } from '../deps.ts';
import { renderTable } from '../table.ts';
import { clientFor } from './context.ts';
import { configOption, settingOption } from '../../settings/options.ts';
import { CONTROLLER_PROFILE, resolveSomeSettings } from '../../settings/resolve.ts';
import { defaultText, SETTINGS, type SettingKey, type Settings } from '../../settings/table.ts';

/** The controller settings these commands take: flags, and --config like `berth controller`. */
interface SettingFlags {
  dataDir?: string;
  databaseUrl?: string;
  config?: string;
}

interface CreateUserFlags extends SettingFlags {
  admin?: boolean;
  email?: string;
  passwordStdin?: boolean;
}

interface UserView {
  username: string;
  role: string;
  email?: string;
  quota: Record<string, unknown>;
}

/**
 * Root writing into a data dir another user owns (the controller's unit runs as `berth`) would
 * leave root-owned SQLite side files and configs there that lock the controller out.
 */
export function assertDataDirOwner(dataDir: string, uid = process.getuid?.()): void {
  if (uid !== 0) return;
  let owner: number;
  try {
    owner = statSync(dataDir).uid;
  } catch {
    return; // not created yet: whoever creates it owns it
  }
  if (owner !== 0) {
    throw new BerthError(
      'Forbidden',
      `${dataDir} belongs to uid ${owner}, not root: run this as that user (e.g. sudo -u berth berth admin ...), or the controller could not open what root writes there`,
    );
  }
}

/**
 * The controller's settings these commands use, resolved as the controller resolves them: flag >
 * env > the YAML file of --config / BERTH_CONTROLLER_CONFIG > default.
 */
function controllerSettings<K extends SettingKey>(flags: SettingFlags, deps: CliDeps, keys: readonly K[]): Pick<Settings, K> {
  const given = { dataDir: flags.dataDir, databaseUrl: flags.databaseUrl, config: flags.config };
  return resolveSomeSettings({ flags: given, env: deps.env }, CONTROLLER_PROFILE, keys);
}

const isPostgres = (url: string | undefined) => /^postgres(ql)?:\/\//.test(url ?? '');

async function createUser(name: string, flags: CreateUserFlags, deps: CliDeps): Promise<void> {
  const { dataDir, databaseUrl } = controllerSettings(flags, deps, ['dataDir', 'databaseUrl']);
  if (!isPostgres(databaseUrl)) assertDataDirOwner(dataDir); // SQLite lives there
  // Loaded only here: the everyday client never pulls in the store.
  const { openStore } = await import('../../store/index.ts');
  const { createUserOnManagementNode, issueToken } = await import('../../auth/index.ts');
  const password = flags.passwordStdin ? (await deps.readStdin()).replace(/\r?\n$/, '') : undefined;
  const store = await openStore({ url: databaseUrl, dataDir });
  try {
    const user = await createUserOnManagementNode(store.db, { username: name, email: flags.email, password, admin: !!flags.admin });
    deps.stdout(`user/${user.username} created (${user.role})\n`);
    // Without a password the account could never log in: hand out a token once instead.
    if (password === undefined) deps.stdout(`token: ${await issueToken(store.db, user.id, 'create-user')}\n`);
  } finally {
    await store.close();
  }
}

interface RotateTokenFlags extends SettingFlags {
  ttl?: string;
  /** The global --server: the address written into the config. */
  server?: string;
}

/** A new bootstrap admin token in DATA_DIR/berth.config (0600); the old one stops working. */
async function rotateToken(flags: RotateTokenFlags, deps: CliDeps): Promise<void> {
  const { parseDurationMs } = await import('../../manifests/quantity.ts');
  const ttlFlag = flags.ttl === undefined ? undefined : parseDurationMs(flags.ttl);
  if (flags.ttl !== undefined && !(ttlFlag && ttlFlag > 0))
    throw new BerthError('Invalid', `ttl: must be a duration such as 30d or 12h, got "${flags.ttl}"`, 'ttl');
  // --ttl is this command's name for the setting adminTokenTtl (env, YAML key and default as the controller takes them).
  const settings = controllerSettings(flags, deps, ['dataDir', 'databaseUrl', 'adminTokenTtl']);
  const ttlMs = ttlFlag ?? settings.adminTokenTtl;
  const { dataDir, databaseUrl } = settings;
  assertDataDirOwner(dataDir); // berth.config
  const { openStore } = await import('../../store/index.ts');
  const { rotateAdminToken } = await import('../../auth/index.ts');
  const { DEFAULT_SERVER, readAdminContext, saveAdminContext } = await import('../../client-config/index.ts');
  const file = path.join(dataDir, 'berth.config');
  const existing = readAdminContext(file);
  const store = await openStore({ url: databaseUrl, dataDir });
  try {
    const rotated = await rotateAdminToken(store.db, existing?.token, deps.now().getTime(), ttlMs);
    saveAdminContext(file, { server: flags.server ?? existing?.server ?? DEFAULT_SERVER, token: rotated.token, ca: existing?.ca });
    deps.stdout(`admin token rotated: written to ${file} (expires ${rotated.expiresAt.toISOString()}); ${rotated.revoked} old token(s) revoked\n`);
  } finally {
    await store.close();
  }
}

interface QuotaFlags {
  maxCores?: string;
  maxDuration?: string;
  maxAdvance?: string;
  maxReservations?: string;
  maxPublicPorts?: string;
}

function quotaBody(flags: QuotaFlags) {
  const clear = (v: string | undefined) => (v === 'default' ? null : v);
  // The server validates and names the field; a non-number goes as written (NaN would be sent as
  // null, which clears the override).
  const count = (v: string) => (v === 'default' ? null : v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v);
  const body: Record<string, unknown> = {};
  if (flags.maxCores !== undefined) body.maxCores = count(flags.maxCores);
  if (flags.maxDuration !== undefined) body.maxDuration = clear(flags.maxDuration);
  if (flags.maxAdvance !== undefined) body.maxAdvance = clear(flags.maxAdvance);
  if (flags.maxReservations !== undefined) body.maxReservations = count(flags.maxReservations);
  if (flags.maxPublicPorts !== undefined) body.maxPublicPorts = count(flags.maxPublicPorts);
  if (Object.keys(body).length === 0)
    throw new BerthError('Invalid', 'set-quota needs at least one of --max-cores, --max-duration, --max-advance, --max-reservations, --max-public-ports');
  return body;
}

const quotaText = (q: Record<string, unknown>) =>
  Object.entries(q)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ') || '<none>';

export function registerAdmin(program: Command, deps: CliDeps): void {
  const admin = program.command('admin').description('administration (admins only)');

  admin
    .command('create-user')
    .description('create a user on the management node (the only way to create an admin)')
    .argument('<name>', 'user name')
    .option('--admin', 'give the user the admin role')
    .option('--email <address>', 'email address')
    .option('--password-stdin', 'read a password from stdin (else a token is printed once)')
    .addOption(settingOption('dataDir'))
    .addOption(settingOption('databaseUrl'))
    .addOption(configOption())
    .action((name: string, flags: CreateUserFlags) => createUser(name, flags, deps));

  admin
    .command('rotate-token')
    .description('replace the bootstrap admin token in DATA_DIR/berth.config and revoke the old one (on the management node)')
    .option(
      '--ttl <duration>',
      `lifetime of the new token (env ${SETTINGS.adminTokenTtl.env}, YAML key adminTokenTtl; default ${defaultText('adminTokenTtl')})`,
    )
    .addOption(settingOption('dataDir'))
    .addOption(settingOption('databaseUrl'))
    .addOption(configOption())
    // --server (global) names the address written into the config; default: the one already there.
    .action((_flags: RotateTokenFlags, cmd: Command) => rotateToken(cmd.optsWithGlobals<RotateTokenFlags>(), deps));

  admin
    .command('set-quota')
    .description('set a user\'s quota override ("default" removes a field\'s override)')
    .argument('<user>', 'user name')
    .option('--max-cores <n>', 'concurrent cores')
    .option('--max-duration <duration>', 'longest reservation, e.g. 24h')
    .option('--max-advance <duration>', 'how far ahead a reservation may start, e.g. 30d')
    .option('--max-reservations <n>', 'concurrent reservations')
    .option('--max-public-ports <n>', 'concurrent published ports')
    .action(async (user: string, flags: QuotaFlags, cmd: Command) => {
      const result = await clientFor(cmd, deps).request<UserView>('PUT', `api/v1/users/${encodeURIComponent(user)}/quota`, quotaBody(flags));
      deps.stdout(`user/${result.username} quota: ${quotaText(result.quota)}\n`);
    });

  admin
    .command('users')
    .description('list users with their roles and effective quotas')
    .action(async (_flags: unknown, cmd: Command) => {
      const list = await clientFor(cmd, deps).request<{ items: UserView[] }>('GET', 'api/v1/users');
      deps.stdout(
        renderTable(
          ['NAME', 'ROLE', 'EMAIL', 'QUOTA'],
          list.items.map((u) => [u.username, u.role, u.email ?? '', quotaText(u.quota)]),
        ),
      );
    });
}
