import { parseArgs } from 'node:util';
import { isIP } from 'node:net';
import { parseDockerHost } from './runtime/docker-host.ts';

export interface CliOptions {
  controller: string;
  joinToken: string;
  nodeName: string;
  address: string;
  dockerHost?: string;
}

export const USAGE =
  'usage: berth-agent --controller HOST:PORT --join-token TOKEN --node-name NAME --address IP [--docker-host URL]';

/** Flags win over environment variables; throws an Error with a one-line message on bad input. */
export function parseCliOptions(argv: string[], env: NodeJS.ProcessEnv): CliOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        controller: { type: 'string' },
        'join-token': { type: 'string' },
        'node-name': { type: 'string' },
        address: { type: 'string' },
        'docker-host': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new Error((err as Error).message.split('\n')[0]);
  }
  if (values.help) throw new Error(USAGE);
  const pick = (flag: string, envName: string): string | undefined => {
    const v = (values[flag] as string | undefined) ?? env[envName];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const need = (flag: string, envName: string): string => {
    const v = pick(flag, envName);
    if (v === undefined) throw new Error(`missing --${flag} (or ${envName})`);
    return v;
  };
  const controller = need('controller', 'BERTH_CONTROLLER');
  if (!/^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):\d{1,5}$/.test(controller) || Number(controller.split(':').pop()) > 65535) {
    throw new Error(`bad --controller ${JSON.stringify(controller)}: expected HOST:PORT`);
  }
  const joinToken = need('join-token', 'BERTH_JOIN_TOKEN');
  const nodeName = need('node-name', 'BERTH_NODE_NAME');
  if (!/^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/.test(nodeName)) {
    throw new Error(`bad --node-name ${JSON.stringify(nodeName)}: lowercase letters, digits, '.' and '-', at most 63`);
  }
  const address = need('address', 'BERTH_ADDRESS');
  if (isIP(address) === 0) throw new Error(`bad --address ${JSON.stringify(address)}: expected an IP address`);
  const dockerHost = pick('docker-host', 'DOCKER_HOST');
  if (dockerHost !== undefined) {
    try {
      parseDockerHost(dockerHost);
    } catch (err) {
      throw new Error(`bad --docker-host: ${(err as Error).message}`);
    }
  }
  return { controller, joinToken, nodeName, address, dockerHost };
}
