// The one conversion from a zod failure to the API's Invalid error (manifests, request bodies).
import type { z } from 'zod';
import { BerthError } from './catalog.ts';

/**
 * The first zod issue as a BerthError naming the field, e.g. `spec.resources.memory: must be ...`.
 * `prefix` is prepended to the issue's path; `subject` names the whole value when the issue has no
 * field (e.g. 'body'). Never echoes the received value: it may be a password.
 */
export function invalidFromZod(error: z.ZodError, opts: { prefix?: string[]; subject?: string } = {}): BerthError {
  const issue = error.issues[0]!;
  const field = [...(opts.prefix ?? []), ...issue.path.map(String)].join('.');
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys;
    const at = field ? `${field}.` : '';
    return new BerthError('Invalid', `unknown field "${at}${keys[0]}"`, `${at}${keys[0]}`);
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) message = 'is required';
  if (issue.code === 'invalid_key') message = issue.issues[0]?.message ?? message; // why the key is bad, not only that it is
  const named = field || opts.subject;
  return new BerthError('Invalid', named ? `${named}: ${message}` : message, field || undefined);
}

/** Parses `value` with `schema`, or throws invalidFromZod's error. */
export function parseOrInvalid<T>(schema: z.ZodType<T>, value: unknown, opts: { prefix?: string[]; subject?: string } = {}): T {
  const result = schema.safeParse(value);
  if (!result.success) throw invalidFromZod(result.error, opts);
  return result.data;
}
