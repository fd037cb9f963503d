// The admin logins Berth writes itself: the bootstrap admin's context in the controller's
// DATA_DIR/berth.config (the controller's start, `berth dev` and `berth admin rotate-token`), and
// `berth dev`'s context in the user's default config. Each changes its own context only, so the
// other contexts in the file survive.
import { adminContextName, type Context, devContextName, findContext, upsertContext } from './contexts.ts';
import { readConfigFile, updateConfigFile } from './file.ts';

/** The admin context of the file, if the file and the context exist. */
export function readAdminContext(file: string): Context | undefined {
  const cfg = readConfigFile(file);
  return cfg && findContext(cfg, adminContextName(cfg));
}

/** Adds or updates the admin context (current unless another context is); returns its name. */
export function saveAdminContext(file: string, login: { server: string; token: string; ca?: string }): string {
  let name = 'admin';
  updateConfigFile(file, (cfg) => {
    name = adminContextName(cfg);
    return upsertContext(cfg, { name, user: 'admin', ...login }, 'if-none');
  });
  return name;
}

/**
 * `berth dev`'s context (`dev`, or `dev-PORT`) in the user's config: added or updated, and made
 * current only when no context is, so neither a first start nor a restart takes the CLI away from
 * a login its user chose (a customer's, or another server's).
 */
export function saveDevContext(file: string, login: { server: string; token: string }): { name: string; current: boolean } {
  const name = devContextName(login.server);
  const written = updateConfigFile(file, (cfg) => upsertContext(cfg, { name, user: 'admin', ...login }, 'if-none'));
  return { name, current: written.current === name };
}
