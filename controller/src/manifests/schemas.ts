// Manifest schemas shared by the API and the CLI. Objects are strict: an unknown field is an
// error that names it, as `kubectl apply --validate=strict` does.
import { z } from 'zod';
import { parseDurationMs, parseMemoryMiB, parseMilliCores } from './quantity.ts';
import { ENV_MAX_ENTRIES, ENV_MAX_TOTAL_BYTES, ENV_NAME_MAX_CHARS, envBytes, LABEL_MAX_CHARS, LABELS_MAX_ENTRIES } from './limits.ts';

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

const labelsSchema = z
  .record(
    z
      .string()
      .max(LABEL_MAX_CHARS, `label keys must be at most ${LABEL_MAX_CHARS} characters`)
      .regex(/^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/, 'invalid label key'),
    z.string().max(LABEL_MAX_CHARS, `label values must be at most ${LABEL_MAX_CHARS} characters`),
  )
  .refine((labels) => Object.keys(labels).length <= LABELS_MAX_ENTRIES, `must have at most ${LABELS_MAX_ENTRIES} labels`);

export const metadataSchema = z.strictObject({
  name: nameSchema,
  labels: labelsSchema.optional(),
});

const memorySchema = z.union([z.string(), z.number()]).refine((v) => parseMemoryMiB(v) !== undefined, 'must be a memory quantity such as 128Mi or 1Gi');

// Cores as Kubernetes spells CPU (2, 0.5, "250m"), kept as given; parseMilliCores reads it.
const coresSchema = z
  .union([z.number(), z.string()], {
    error: (issue) => (issue.input === undefined ? 'is required' : 'must be a number of cores such as 2 or 0.5, or millicores such as "250m"'),
  })
  .superRefine((value, ctx) => {
    const parsed = parseMilliCores(value);
    if ('error' in parsed) ctx.addIssue({ code: 'custom', message: parsed.error });
  });

// Bounded so that no tenant's env can make a node's desired set exceed what the stream carries.
const envSchema = z
  .record(
    z
      .string()
      .max(ENV_NAME_MAX_CHARS, `variable names must be at most ${ENV_NAME_MAX_CHARS} characters`)
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'invalid variable name'),
    z.string(),
  )
  .superRefine((env, ctx) => {
    const entries = Object.keys(env).length;
    if (entries > ENV_MAX_ENTRIES) ctx.addIssue({ code: 'custom', message: `must have at most ${ENV_MAX_ENTRIES} variables, got ${entries}` });
    const bytes = envBytes(env);
    if (bytes > ENV_MAX_TOTAL_BYTES) {
      ctx.addIssue({
        code: 'custom',
        message: `names and values must total at most ${ENV_MAX_TOTAL_BYTES} bytes (${ENV_MAX_TOTAL_BYTES / 1024} KiB), got ${bytes}`,
      });
    }
  });

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
  dataPath: z
    .string()
    .regex(/^\/[^\0]*$/, 'must be an absolute path')
    .max(255)
    .optional(),
  env: envSchema.optional(),
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
  env: envSchema.optional(),
});
export type ReservationSpecInput = z.infer<typeof reservationSpecSchema>;

export const manifestEnvelopeSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION, { message: `must be ${API_VERSION}` }),
  kind: z.enum(KINDS, { message: `must be one of ${KINDS.join(', ')}` }),
  metadata: metadataSchema,
  spec: z.unknown(),
  status: z.unknown().optional(), // server-written; ignored on apply, like kubectl
});
