// Manifest schemas shared by the API and the CLI. Objects are strict: an unknown field is an
// error that names it, as `kubectl apply --validate=strict` does.
import { z } from 'zod';
import { parseDurationMs, parseMemoryMiB } from './quantity.ts';

export const API_VERSION = 'berth/v1';
export const KINDS = ['Image', 'Reservation'] as const;
export type ManifestKind = (typeof KINDS)[number];
export const PROFILES = ['ephemeral', 'local', 'remote'] as const;
export type Profile = (typeof PROFILES)[number];

// RFC 1123 label, as Kubernetes uses for most object names.
const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const nameSchema = z
  .string()
  .max(63, 'must be at most 63 characters')
  .regex(DNS1123, 'must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit');

const labelsSchema = z.record(
  z.string().max(63).regex(/^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/, 'invalid label key'),
  z.string().max(63),
);

export const metadataSchema = z.strictObject({
  name: nameSchema,
  labels: labelsSchema.optional(),
});

const memorySchema = z
  .union([z.string(), z.number()])
  .refine((v) => parseMemoryMiB(v) !== undefined, 'must be a memory quantity such as 128Mi or 1Gi');

const coresSchema = z.number().positive('must be greater than 0').max(256, 'must be at most 256');

const portSchema = z.strictObject({
  name: nameSchema.max(15, 'must be at most 15 characters'),
  port: z.number().int().min(1).max(65535),
});

export const imageSpecSchema = z.strictObject({
  ref: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[a-z0-9][a-zA-Z0-9._\-/:@]*$/, 'must be an image reference such as registry:5000/name:tag'),
  ports: z
    .array(portSchema)
    .max(16)
    .default([])
    .refine((ports) => new Set(ports.map((p) => p.name)).size === ports.length, 'port names must be unique'),
  resources: z.strictObject({
    cores: coresSchema,
    memory: memorySchema,
    maxCores: coresSchema.optional(),
    maxMemory: memorySchema.optional(),
  }),
  dataPath: z.string().regex(/^\/[^\0]*$/, 'must be an absolute path').max(255).optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'invalid variable name'), z.string().max(4096)).optional(),
  pricePerCoreHour: z.number().int('must be whole cents').min(0).max(1_000_000).optional(),
  // Per-container confinement; the defaults are in reconcile/desired-containers.ts.
  pidsLimit: z.number().int('must be a whole number').min(16, 'must be at least 16').max(1_000_000).optional(),
  ephemeralStorage: memorySchema.optional(),
  description: z.string().max(1000).optional(),
});
export type ImageSpecInput = z.infer<typeof imageSpecSchema>;

export const reservationSpecSchema = z.strictObject({
  image: nameSchema,
  start: z.iso.datetime({ offset: true, message: 'must be an RFC 3339 time such as 2026-12-01T10:00:00Z' }).optional(),
  duration: z.string().refine((v) => parseDurationMs(v) !== undefined, 'must be a duration such as 90m or 2h'),
  profile: z.enum(PROFILES).default('ephemeral'),
  cores: coresSchema.optional(),
  memory: memorySchema.optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'invalid variable name'), z.string().max(4096)).optional(),
});
export type ReservationSpecInput = z.infer<typeof reservationSpecSchema>;

export const manifestEnvelopeSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION, { message: `must be ${API_VERSION}` }),
  kind: z.enum(KINDS, { message: `must be one of ${KINDS.join(', ')}` }),
  metadata: metadataSchema,
  spec: z.unknown(),
  status: z.unknown().optional(), // server-written; ignored on apply, like kubectl
});
