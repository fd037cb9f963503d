import { z } from 'zod';
import { BerthError } from '../errors/index.ts';
import {
  imageSpecSchema,
  manifestEnvelopeSchema,
  reservationSpecSchema,
  type ImageSpecInput,
  type ReservationSpecInput,
} from './schemas.ts';

export interface Metadata {
  name: string;
  labels: Record<string, string>;
}
export type Manifest =
  | { kind: 'Image'; metadata: Metadata; spec: ImageSpecInput }
  | { kind: 'Reservation'; metadata: Metadata; spec: ReservationSpecInput };

/** First zod issue as a BerthError naming the field, e.g. `spec.resources.memory: must be ...`. */
export function toInvalid(error: z.ZodError, prefix: string[] = []): BerthError {
  const issue = error.issues[0];
  const field = [...prefix, ...issue.path.map(String)].join('.');
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys;
    const at = field ? `${field}.` : '';
    return new BerthError('Invalid', `unknown field "${at}${keys[0]}"`, `${at}${keys[0]}`);
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) message = 'is required';
  if (issue.code === 'invalid_key') message = issue.issues[0]?.message ?? message; // why the key is bad, not only that it is
  return new BerthError('Invalid', field ? `${field}: ${message}` : message, field || undefined);
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, prefix: string[]): T {
  const result = schema.safeParse(value);
  if (!result.success) throw toInvalid(result.error, prefix);
  return result.data;
}

/** Validates an Image or Reservation manifest's shape; semantic checks live with each kind. */
export function validateManifest(input: unknown): Manifest {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new BerthError('Invalid', 'manifest must be a mapping with apiVersion, kind, metadata and spec');
  }
  const envelope = parseWith(manifestEnvelopeSchema, input, []);
  const metadata = { name: envelope.metadata.name, labels: envelope.metadata.labels ?? {} };
  if (envelope.spec === undefined) throw new BerthError('Invalid', 'spec: is required', 'spec');
  if (envelope.kind === 'Image') {
    return { kind: 'Image', metadata, spec: parseWith(imageSpecSchema, envelope.spec, ['spec']) };
  }
  return { kind: 'Reservation', metadata, spec: parseWith(reservationSpecSchema, envelope.spec, ['spec']) };
}
