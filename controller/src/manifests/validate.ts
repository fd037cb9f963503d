import type { z } from 'zod';
import { BerthError, invalidFromProblems, problemsFromZod, type Problem } from '../errors/index.ts';
import { imageSpecSchema, KINDS, manifestEnvelopeSchema, reservationSpecSchema, type ImageSpecInput, type ReservationSpecInput } from './schemas.ts';

export interface Metadata {
  name: string;
  labels: Record<string, string>;
}
export type Manifest = { kind: 'Image'; metadata: Metadata; spec: ImageSpecInput } | { kind: 'Reservation'; metadata: Metadata; spec: ReservationSpecInput };

function check<T>(schema: z.ZodType<T>, value: unknown, prefix: string[], problems: Problem[]): T | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  problems.push(...problemsFromZod(result.error, { prefix }));
  return undefined;
}

/**
 * Validates an Image or Reservation manifest's shape and reports every problem at once (the
 * envelope's and the spec's, unknown fields first); semantic checks live with each kind.
 */
export function validateManifest(input: unknown): Manifest {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new BerthError('Invalid', 'manifest must be a mapping with apiVersion, kind, metadata and spec');
  }
  const problems: Problem[] = [];
  const envelope = check(manifestEnvelopeSchema, input, [], problems);
  const raw = input as { kind?: unknown; spec?: unknown };
  // The spec is checked against its kind even when the envelope has other problems.
  const kind = KINDS.find((k) => k === raw.kind);
  if (raw.spec === undefined && !problems.some((p) => p.field === 'spec')) problems.push({ field: 'spec', message: 'spec: is required' });
  const schema: z.ZodType<unknown> | undefined = kind === 'Image' ? imageSpecSchema : kind === 'Reservation' ? reservationSpecSchema : undefined;
  const spec = schema && raw.spec !== undefined ? check(schema, raw.spec, ['spec'], problems) : undefined;
  if (problems.length || !envelope || !spec) {
    const unknownFirst = [...problems.filter((p) => p.message.startsWith('unknown field')), ...problems.filter((p) => !p.message.startsWith('unknown field'))];
    throw invalidFromProblems(unknownFirst);
  }
  const metadata = { name: envelope.metadata.name, labels: envelope.metadata.labels ?? {} };
  return kind === 'Image' ? { kind, metadata, spec: spec as ImageSpecInput } : { kind: 'Reservation', metadata, spec: spec as ReservationSpecInput };
}
