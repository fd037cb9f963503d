// The CLI config file as it lies on disk (contexts, like a kubeconfig), read as plain YAML so tests
// check the format itself rather than the CLI's own reader.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';

export type RawContext = Record<string, string>;

export interface RawClientConfig {
  'current-context'?: string;
  contexts?: RawContext[];
}

export async function readRawConfig(file: string): Promise<RawClientConfig> {
  return (parseYaml(await readFile(file, 'utf8')) ?? {}) as RawClientConfig;
}

/** The current context's fields (server, token, user, certificate-authority-data), if any. */
export async function currentContext(file: string): Promise<RawContext | undefined> {
  const cfg = await readRawConfig(file);
  return cfg.contexts?.find((c) => c.name === cfg['current-context']);
}
