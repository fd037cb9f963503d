// How one setting's text becomes a value. A parser returns the value or throws Bad with what the
// setting must be; the resolver turns that into an error naming the setting and the bad value.
import path from 'node:path';
import { isIPv4 } from 'node:net';
import { formatDurationMs, parseDurationMs } from '../manifests/quantity.ts';
import { parseNetwork } from '../webhooks/address-guard.ts';

export class Bad extends Error {}

export interface Kind<T> {
  /** The placeholder in `--flag <arg>`. */
  arg: string;
  parse(text: string): T;
  /** How a value is shown as a default in help and the README. */
  show(value: T): string;
  /** A flag without an argument (`--agents-behind-nat`). */
  switch?: boolean;
}

const plain = String;

export const text = (arg = 'text'): Kind<string> => ({ arg, parse: (t) => t, show: plain });

export const absolutePath: Kind<string> = { arg: 'dir', parse: (t) => path.resolve(t), show: plain };

export const port: Kind<number> = {
  arg: 'n',
  parse(t) {
    const n = Number(t);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Bad('must be a port number (0-65535)');
    return n;
  },
  show: plain,
};

export const ipv4: Kind<string> = {
  arg: 'addr',
  parse(t) {
    if (!isIPv4(t)) throw new Bad('must be an IPv4 address');
    return t;
  },
  show: plain,
};

export function oneOf<const T extends string>(values: readonly T[]): Kind<T> {
  return {
    arg: values.join('|'),
    parse(t) {
      if (!(values as readonly string[]).includes(t)) throw new Bad(`must be one of ${values.join(', ')}`);
      return t as T;
    },
    show: plain,
  };
}

export const bool: Kind<boolean> = {
  arg: 'true|false',
  switch: true,
  parse(t) {
    if (t !== 'true' && t !== 'false') throw new Bad('must be true or false');
    return t === 'true';
  },
  show: plain,
};

export const duration: Kind<number> = {
  arg: 'duration',
  parse(t) {
    const ms = parseDurationMs(t);
    if (ms === undefined || ms <= 0) throw new Bad('must be a duration such as 30s, 5m or 7d');
    return ms;
  },
  show: formatDurationMs,
};

/** A number that passes `ok`; `what` completes "must be ...". */
export function num(what: string, ok: (n: number) => boolean, arg = 'n', show: (n: number) => string = plain): Kind<number> {
  return {
    arg,
    parse(t) {
      const n = Number(t);
      if (t.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new Bad(`must be ${what}`);
      return n;
    },
    show,
  };
}

export const positiveInt = num('a positive integer', (n) => Number.isInteger(n) && n > 0);

export interface PortRange {
  min: number;
  max: number;
}

export const portRange: Kind<PortRange> = {
  arg: 'min-max',
  parse(t) {
    const m = /^(\d{1,5})-(\d{1,5})$/.exec(t.trim());
    const r = m ? { min: Number(m[1]), max: Number(m[2]) } : undefined;
    if (!r || r.min < 1 || r.max > 65535 || r.min > r.max) throw new Bad('must be a port range such as 30000-32767');
    return r;
  },
  show: (r) => `${r.min}-${r.max}`,
};

/** Comma-separated networks ("10.0.0.0/8,fd00::/8" or bare addresses). */
export const networkList: Kind<string[]> = {
  arg: 'cidrs',
  parse(t) {
    const parts = t
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const bad = parts.find((p) => !parseNetwork(p));
    if (bad !== undefined) throw new Bad(`must be networks such as 10.0.0.0/8,fd00::/8 (not ${JSON.stringify(bad)})`);
    return parts;
  },
  show: (list) => list.join(',') || 'none',
};
