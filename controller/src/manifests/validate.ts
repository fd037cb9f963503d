import { z } from 'zod';
import { BerthError, parseOrInvalid } from '../errors/index.ts';
import { imageSpecSchema, manifestEnvelopeSchema, reservationSpecSchema, type ImageSpecInput, type ReservationSpecInput } from './schemas.ts';

export interface Metadata {
  name: string;
  labels: Record<string, string>;
}
export type Manifest = { kind: 'Image'; metadata: Metadata; spec: ImageSpecInput } | { kind: 'Reservation'; metadata: Metadata; spec: ReservationSpecInput };

function parseWith<T>(schema: z.ZodType<T>, value: unknown, prefix: string[]): T {
  return parseOrInvalid(schema, value, { prefix });
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
