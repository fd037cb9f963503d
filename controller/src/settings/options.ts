// The table as command-line options (commander) and as the README's settings list. Light on
// imports: the everyday `berth` client builds these options without loading the server.
import { Option, type Command } from 'commander';
import { CONFIG_ENV, SETTINGS, SETTING_KEYS, defaultText, flagOf, type Group, type Setting, type SettingKey } from './table.ts';
import type { Kind } from './kinds.ts';
import type { Profile } from './resolve.ts';

/** The keys a profile offers on its command line, in table order. */
export function offeredKeys(profile: Profile): SettingKey[] {
  return SETTING_KEYS.filter((k) => !(SETTINGS[k] as Setting<unknown>).hidden && !(k in profile.fixed));
}

function shownDefault(key: SettingKey, profile: Profile): string | undefined {
  if (key in profile.defaults) {
    const s = SETTINGS[key] as Setting<unknown>;
    return (s.kind as Kind<unknown>).show((profile.defaults as Record<string, unknown>)[key]);
  }
  return defaultText(key);
}

/** One commander option for a setting: `--flag <arg>`, help with its env var and default. */
export function settingOption(key: SettingKey, profile: Profile = { fixed: {}, defaults: {} }): Option {
  const s = SETTINGS[key] as Setting<unknown>;
  const kind = s.kind as Kind<unknown>;
  const def = shownDefault(key, profile);
  const flag = kind.switch ? flagOf(key) : `${flagOf(key)} <${kind.arg}>`;
  return new Option(flag, `${s.help} (env ${s.env}${def === undefined ? '' : `; default ${def}`})`);
}

/** --config: the controller's YAML file of settings, for every command that takes them. */
export function configOption(): Option {
  return new Option('--config <file>', `YAML file of settings, keyed by the camelCase of their flags (env ${CONFIG_ENV})`);
}

/** Every setting the profile offers, and --config, as options of `cmd`. */
export function addSettingOptions(cmd: Command, profile: Profile): Command {
  for (const key of offeredKeys(profile)) cmd.addOption(settingOption(key, profile));
  cmd.addOption(configOption());
  cmd.addHelpText('after', '\nPrecedence: a flag wins over its environment variable, which wins over the --config file, which wins over the default.');
  return cmd;
}

const GROUP_TITLES: Record<Group, string> = {
  server: 'Server',
  tls: 'API TLS',
  scheduling: 'Scheduling and ports',
  nodes: 'Nodes',
  accounts: 'Accounts and default quotas',
  storage: 'Storage node (remote profile)',
  operations: 'Operations',
};

export const README_BEGIN = '<!-- controller-settings:begin (generated from controller/src/settings/table.ts: npm run settings:readme) -->';
export const README_END = '<!-- controller-settings:end -->';

/** The README's list of controller settings: a table per group, generated from SETTINGS. */
export function renderSettingsMarkdown(): string {
  const lines: string[] = [README_BEGIN];
  lines.push('| Flag | Environment | YAML key | Default | Meaning |', '|---|---|---|---|---|');
  for (const group of Object.keys(GROUP_TITLES) as Group[]) {
    lines.push(`| **${GROUP_TITLES[group]}** | | | | |`);
    for (const key of SETTING_KEYS) {
      const s = SETTINGS[key] as Setting<unknown>;
      if (s.group !== group || s.hidden) continue;
      const kind = s.kind as Kind<unknown>;
      const arg = kind.arg.includes('|') ? kind.arg : kind.arg.toUpperCase();
      const flag = kind.switch ? flagOf(key) : `${flagOf(key)} ${arg}`;
      const cells = [`\`${flag}\``, `\`${s.env}\``, `\`${key}\``, defaultText(key) ?? '', s.help];
      lines.push(`| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`);
    }
  }
  lines.push(README_END);
  return lines.join('\n');
}

/** README text with its settings block replaced by the current one. */
export function withSettingsBlock(readme: string): string {
  const a = readme.indexOf('<!-- controller-settings:begin');
  const b = readme.indexOf(README_END);
  if (a < 0 || b < a) throw new Error('README.md has no controller-settings block');
  return readme.slice(0, a) + renderSettingsMarkdown() + readme.slice(b + README_END.length);
}
