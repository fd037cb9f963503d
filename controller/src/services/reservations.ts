import { randomUUID } from 'node:crypto';
import type { Prisma, Reservation, User } from '../store/generated/postgresql/client.ts';
import type { Commitment } from '../capacity/index.ts';
import type { Interval } from '../quotas/index.ts';
import { BerthError } from '../errors/index.ts';
import {
  coresOf,
  formatDurationMs,
  parseDurationMs,
  parseMemoryMiB,
  parseMilliCores,
  type ImageSpecInput,
  type Manifest,
  type ReservationSpecInput,
} from '../manifests/index.ts';
import { admittedImageStatus, renderReservation, type ReservationRow } from '../resources/index.ts';
import { recordEvent } from '../events/index.ts';
import { nextDue } from '../reconcile/index.ts';
import { admittedImage, hasStarted, setCondition, TERMINAL_PHASES } from '../domain/index.ts';
import type { ApplyResult, ServiceContext } from './context.ts';
import { sameJson } from './context.ts';
import { admit } from './admission.ts';
import { loadRates, type RateTable } from './rates.ts';
import { DEFAULT_RATE_CENTS_PER_CORE_HOUR } from '../billing/index.ts';
import { enforceQuota } from './quotas.ts';
import { isUniqueViolation } from '../store/index.ts';

type ReservationManifest = Extract<Manifest, { kind: 'Reservation' }>;
const include = { node: true, ports: true, owner: true } as const;

interface Resolved {
  /** The image's price now, fixed on the reservation while it has not started. */
  rateCentsPerCoreHour: number;
  /** The image's generation now, kept with its spec as the snapshot the container is built from. */
  imageGeneration: number;
  startAt: number;
  endAt: number;
  milliCores: number;
  memoryMiB: number;
}

interface ImageVersion {
  spec: ImageSpecInput;
  generation: number;
}

/** The image as it is now, for an admission. */
async function currentImage(ctx: ServiceContext, name: string): Promise<ImageVersion> {
  const image = await ctx.images.get(name);
  if (!image) throw new BerthError('Invalid', `spec.image: image "${name}" not found`, 'spec.image');
  return { spec: image.spec as ImageSpecInput, generation: image.generation };
}

/** The image a started reservation runs: the one it was admitted with, whatever the Image says now. */
async function runningImage(ctx: ServiceContext, row: ReservationRow): Promise<ImageVersion> {
  const spec = admittedImage(row);
  return spec ? { spec, generation: row.imageGeneration ?? 0 } : currentImage(ctx, row.imageName);
}

/** Semantic checks against the image and the clock; the manifest shape is already valid. Availability resolves the same way. */
export async function resolve(
  ctx: ServiceContext,
  spec: ReservationSpecInput,
  keepStart?: number,
  admitted?: ImageVersion,
): Promise<{ r: Resolved; image: ImageSpecInput }> {
  const image = admitted ?? (await currentImage(ctx, spec.image));
  const imageSpec = image.spec;
  checkStorage(ctx, spec, imageSpec);
  const milliCores = resolveMilliCores(spec, imageSpec);
  const res = imageSpec.resources;
  const memoryMiB = spec.memory !== undefined ? parseMemoryMiB(spec.memory)! : parseMemoryMiB(res.memory)!;
  const maxMemory = parseMemoryMiB(res.maxMemory ?? res.memory)!;
  if (memoryMiB > maxMemory) throw new BerthError('Invalid', `spec.memory: ${memoryMiB}Mi exceeds the image maximum of ${maxMemory}Mi`, 'spec.memory');
  const now = ctx.clock.now();
  const startAt = keepStart ?? (spec.start ? Date.parse(spec.start) : now);
  if (keepStart === undefined && startAt < now - ctx.config.startToleranceMs) {
    throw new BerthError('Invalid', `spec.start: ${spec.start} is in the past`, 'spec.start');
  }
  const duration = parseDurationMs(spec.duration)!;
  if (duration <= 0) throw new BerthError('Invalid', 'spec.duration: must be greater than 0', 'spec.duration');
  if (duration > ctx.config.maxDurationMs) {
    throw new BerthError('Invalid', `spec.duration: must be at most ${formatDurationMs(ctx.config.maxDurationMs)}`, 'spec.duration');
  }
  const rateCentsPerCoreHour = imageSpec.pricePerCoreHour ?? DEFAULT_RATE_CENTS_PER_CORE_HOUR;
  return { r: { rateCentsPerCoreHour, imageGeneration: image.generation, startAt, endAt: startAt + duration, milliCores, memoryMiB }, image: imageSpec };
}

/** The granted CPU in millicores: the spec's own request or the image's default, up to its maximum. */
function resolveMilliCores(spec: ReservationSpecInput, image: ImageSpecInput): number {
  const res = image.resources;
  const imageMilli = (field: 'cores' | 'maxCores') => {
    const parsed = parseMilliCores(res[field] ?? res.cores);
    // Images are validated on apply; one stored under older rules is refused, not guessed at.
    if ('error' in parsed)
      throw new BerthError(
        'Invalid',
        `spec.image: image "${spec.image}" has an invalid spec.resources.${field} (${parsed.error}); an admin must re-apply it`,
        'spec.image',
      );
    return parsed.milliCores;
  };
  const milliCores = spec.cores !== undefined ? (parseMilliCores(spec.cores) as { milliCores: number }).milliCores : imageMilli('cores');
  const maxMilliCores = imageMilli('maxCores');
  if (milliCores > maxMilliCores) {
    throw new BerthError('Invalid', `spec.cores: ${coresOf(milliCores)} exceeds the image maximum of ${coresOf(maxMilliCores)}`, 'spec.cores');
  }
  return milliCores;
}

/** Refuses a profile that could never start: data without a place in the image, or no storage node. */
function checkStorage(ctx: ServiceContext, spec: ReservationSpecInput, image: ImageSpecInput): void {
  if (spec.profile === 'ephemeral') return;
  if (!image.dataPath) {
    throw new BerthError('Invalid', `spec.profile: image "${spec.image}" declares no spec.dataPath, so only the ephemeral profile is possible`, 'spec.profile');
  }
  if (spec.profile === 'remote' && !ctx.config.storage) {
    throw new BerthError(
      'Invalid',
      'spec.profile: this cluster has no storage node configured (`berth dev` has none), so the remote profile is not available: use local, or give the controller --storage-host',
      'spec.profile',
    );
  }
}

export async function applyReservation(ctx: ServiceContext, user: User, m: ReservationManifest): Promise<ApplyResult> {
  // The critical section serializes every admission (with PostgreSQL, every controller's): what
  // can be read or checked before it is, so that it holds only the reads and writes that must
  // not interleave. The image is read here; an update re-resolves inside. Most applies create:
  // those join the next group (create-group.ts), which admits many in one section.
  const fresh = await resolve(ctx, m.spec).then(
    (v) => ({ v }),
    (err: unknown) => ({ err }),
  );
  const result = 'err' in fresh ? await ctx.admission.run(() => applyOne(ctx, user, m, fresh)) : await ctx.creates.submit({ ctx, user, m, resolved: fresh.v });
  // A new admission is converged until its prepare time: the reconciler would only re-read it
  // to learn that, at ~4 queries per apply.
  if (result.action === 'created')
    ctx.reconcile.reservationAt(
      result.row.id,
      nextDue({ phase: 'Scheduled', startAt: result.row.startAt.getTime(), endAt: result.row.endAt.getTime(), prepared: false }) ?? ctx.clock.now(),
    );
  else if (result.action !== 'unchanged') ctx.reconcile.reservation(result.row.id);
  return { action: result.action, object: await renderReservationRow(ctx, result.row) };
}

/**
 * One apply, alone inside the admission section: create, or update the live reservation of that
 * name. `refused` is a create's refusal already met (in a group), which counts only if no live
 * reservation has that name.
 */
export async function applyOne(ctx: ServiceContext, user: User, m: ReservationManifest, fresh: { v: ResolvedApply } | { err: unknown }, refused?: unknown) {
  const live = () => ctx.db.reservation.findFirst({ where: { ownerId: user.id, activeName: m.metadata.name }, include });
  // Most applies create: try that first and let the unique (owner, name) index tell an update.
  // A refusal (no room, quota) counts only if no live reservation has that name.
  if (!('err' in fresh)) {
    try {
      if (refused !== undefined) throw refused;
      return await create(ctx, user, m, fresh.v);
    } catch (err) {
      if (!isUniqueViolation(err) && !(await live())) throw err;
    }
  }
  const existing = await live();
  if (existing) return update(ctx, existing, m);
  if ('err' in fresh) throw fresh.err; // e.g. a start in the past is fine for an unchanged re-apply, not for a new one
  return create(ctx, user, m, fresh.v); // it ended in between
}

/** A reservation resolved against its image and the clock, ready to admit. */
export interface ResolvedApply {
  r: Resolved;
  image: ImageSpecInput;
}

/** What one create writes and holds, decided inside the admission section; nothing written yet. */
export interface PlannedCreate {
  data: Prisma.ReservationCreateManyInput & { id: string };
  node: { id: string; name: string };
  commitment: Commitment;
}

/**
 * Checks the owner's quota and places the reservation in memory. `pending` are the owner's
 * reservations admitted earlier in the same group, not yet in the store.
 */
export async function planCreate(
  ctx: ServiceContext,
  user: User,
  m: ReservationManifest,
  { r, image }: ResolvedApply,
  pending: Interval[] = [],
): Promise<PlannedCreate> {
  const publicPorts = image.ports.length;
  await enforceQuota(ctx, user, { ...r, publicPorts }, undefined, pending);
  const node = admit(ctx.admission, { start: r.startAt, end: r.endAt, milliCores: r.milliCores, memoryMiB: r.memoryMiB, publicPorts }, ctx.config.strategy);
  const conditions = setCondition(
    [],
    { type: 'Scheduled', status: 'True', reason: 'Admitted', message: `placed on node ${node.name} for the whole window` },
    ctx.clock.now(),
  );
  const data = {
    id: randomUUID(),
    name: m.metadata.name,
    activeName: m.metadata.name,
    ownerId: user.id,
    labels: m.metadata.labels,
    spec: m.spec,
    imageName: m.spec.image,
    milliCores: r.milliCores,
    memoryMiB: r.memoryMiB,
    rateCentsPerCoreHour: r.rateCentsPerCoreHour,
    imageSpec: image,
    imageGeneration: r.imageGeneration,
    startAt: new Date(r.startAt),
    endAt: new Date(r.endAt),
    nodeId: node.id,
    phase: 'Scheduled',
    status: { conditions, observedGeneration: 1 },
  };
  return { data, node, commitment: { nodeId: node.id, start: r.startAt, end: r.endAt, milliCores: r.milliCores, memoryMiB: r.memoryMiB, publicPorts } };
}

/** After the row is written (and its commitment in the index): the event and the answer. */
export function createdResult(ctx: ServiceContext, user: User, plan: PlannedCreate, row: Reservation) {
  ctx.events.record({
    kind: 'Reservation',
    objectId: row.id,
    objectName: row.name,
    reason: 'Scheduled',
    message: `admitted on node ${plan.node.name} from ${row.startAt.toISOString()} to ${row.endAt.toISOString()}`,
  });
  // Rendered from what is known: no second read of the row, its owner and node in the section.
  return { action: 'created' as const, row: { ...row, owner: user, ports: [], node: { id: plan.node.id, name: plan.node.name } as ReservationRow['node'] } };
}

/** Admits and inserts one new reservation; inside the admission section. */
async function create(ctx: ServiceContext, user: User, m: ReservationManifest, resolved: ResolvedApply) {
  const plan = await planCreate(ctx, user, m, resolved);
  const row = await ctx.db.reservation.create({ data: plan.data });
  ctx.admission.commit(row.id, plan.commitment);
  return createdResult(ctx, user, plan, row);
}

async function update(ctx: ServiceContext, existing: ReservationRow, m: ReservationManifest) {
  if (sameJson(existing.spec, m.spec) && sameJson(existing.labels, m.metadata.labels)) return { action: 'unchanged' as const, row: existing };
  const started = hasStarted(existing.phase);
  const old = existing.spec as ReservationSpecInput;
  if (started) {
    for (const field of ['image', 'start', 'profile', 'cores', 'memory', 'env'] as const) {
      if (!sameJson(old[field], m.spec[field])) {
        throw new BerthError(
          'Invalid',
          `spec.${field}: cannot change once the reservation has started (only spec.duration can); delete and re-create it`,
          `spec.${field}`,
        );
      }
    }
  }
  // Once started, sizes and ports stay those of the image it runs, whatever the Image says now.
  const keepStart = started || sameJson(old.start, m.spec.start) ? existing.startAt.getTime() : undefined;
  const { r, image } = await resolve(ctx, m.spec, keepStart, started ? await runningImage(ctx, existing) : undefined);
  const publicPorts = image.ports.length;
  const owner = existing.owner ?? (await ctx.db.user.findUniqueOrThrow({ where: { id: existing.ownerId } }));
  await enforceQuota(ctx, owner, { ...r, publicPorts }, existing.id);
  const node = admit(
    ctx.admission,
    {
      start: r.startAt,
      end: r.endAt,
      milliCores: r.milliCores,
      memoryMiB: r.memoryMiB,
      publicPorts,
      excludeReservationId: existing.id,
      ...(started ? { onlyNodeId: existing.nodeId! } : {}),
    },
    ctx.config.strategy,
  );
  const row = await ctx.db.reservation.update({
    where: { id: existing.id },
    data: {
      spec: m.spec,
      labels: m.metadata.labels,
      imageName: m.spec.image,
      milliCores: r.milliCores,
      memoryMiB: r.memoryMiB,
      startAt: new Date(r.startAt),
      endAt: new Date(r.endAt),
      nodeId: node.id,
      // The price and the image are those in force when it was admitted, or last changed before
      // it ran: a change before the start re-admits it against the image as it is now.
      ...(started ? {} : { rateCentsPerCoreHour: r.rateCentsPerCoreHour, imageSpec: image, imageGeneration: r.imageGeneration }),
      // Only a change to what runs bumps the generation (and so recreates the container).
      generation: started ? existing.generation : existing.generation + 1,
    },
    include,
  });
  ctx.admission.commit(row.id, { nodeId: node.id, start: r.startAt, end: r.endAt, milliCores: r.milliCores, memoryMiB: r.memoryMiB, publicPorts });
  await recordEvent(ctx.db, {
    kind: 'Reservation',
    objectId: row.id,
    objectName: row.name,
    reason: 'Updated',
    message: `window now ${row.startAt.toISOString()} to ${row.endAt.toISOString()} on node ${node.name}`,
  });
  return { action: 'configured' as const, row };
}

export async function renderReservationRow(ctx: ServiceContext, row: ReservationRow, rates?: RateTable) {
  // Rows carry the price they were admitted with; only older ones need the image's.
  const rateCents = row.rateCentsPerCoreHour ?? (rates ?? (await loadRates(ctx.db, [row.imageName])))(row.imageName);
  return renderReservation(row, { publicAddress: ctx.config.publicAddress, now: ctx.clock.now(), rateCents });
}

const visibleTo = (user: User) => (user.role === 'admin' ? {} : { ownerId: user.id });

/** The reservation of that name the user may see (webhook delivery logs use it too). */
export const findReservationByName = (ctx: ServiceContext, user: User, name: string) => findByName(ctx, user, name);

async function findByName(ctx: ServiceContext, user: User, name: string): Promise<ReservationRow> {
  // The live reservation of that name wins; otherwise the most recent one that ended.
  const row =
    (await ctx.db.reservation.findFirst({ where: { ...visibleTo(user), activeName: name }, include })) ??
    (await ctx.db.reservation.findFirst({ where: { ...visibleTo(user), name, deletedAt: null }, include, orderBy: { createdAt: 'desc' } }));
  if (!row) throw new BerthError('NotFound', `reservation "${name}" not found`);
  return row;
}

export async function getReservation(ctx: ServiceContext, user: User, name: string) {
  const row = await findByName(ctx, user, name);
  const object = await renderReservationRow(ctx, row);
  // Only here, not in lists and watches: an image's env alone may be 32 KiB.
  const image = admittedImageStatus(row);
  return image ? { ...object, status: { ...object.status, image } } : object;
}

/**
 * Rows read and rendered per stretch of a list. With SQLite's synchronous driver a whole list is
 * one stretch the event loop cannot interrupt: 4,000 reservations held it (and /healthz, and the
 * agents' heartbeats) for ~0.5 s in bench:scale. The order is read first, as ids, so the chunks
 * neither skip nor repeat a row that changes meanwhile.
 */
const LIST_CHUNK = 500;

/** The user's reservations in window order, rendered a chunk at a time: a caller that streams them never holds the whole list. */
export async function* reservationChunks(ctx: ServiceContext, user: User) {
  const order = await ctx.db.reservation.findMany({
    where: { ...visibleTo(user), deletedAt: null },
    select: { id: true },
    orderBy: [{ startAt: 'asc' }, { name: 'asc' }],
  });
  const rates = await loadRates(ctx.db);
  for (let i = 0; i < order.length; i += LIST_CHUNK) {
    if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const ids = order.slice(i, i + LIST_CHUNK).map((r) => r.id);
    const rows = new Map((await ctx.db.reservation.findMany({ where: { id: { in: ids }, deletedAt: null }, include })).map((r) => [r.id, r]));
    const out: Awaited<ReturnType<typeof renderReservationRow>>[] = [];
    for (const id of ids) {
      const row = rows.get(id);
      if (row) out.push(await renderReservationRow(ctx, row, rates));
    }
    yield out;
  }
}

export async function listReservations(ctx: ServiceContext, user: User) {
  const out: Awaited<ReturnType<typeof renderReservationRow>>[] = [];
  for await (const chunk of reservationChunks(ctx, user)) out.push(...chunk);
  return out;
}

export async function deleteReservation(ctx: ServiceContext, user: User, name: string) {
  const row = await ctx.db.reservation.findFirst({ where: { ...visibleTo(user), activeName: name }, include });
  if (!row) throw new BerthError('NotFound', `reservation "${name}" not found`);
  if (!TERMINAL_PHASES.includes(row.phase as never)) {
    await ctx.db.reservation.update({ where: { id: row.id }, data: { deletedAt: new Date(ctx.clock.now()) } });
    await ctx.reconcile.reservationNow(row.id); // the reconciler ends it: ports, NAT rule and container go now
  }
  const after = await ctx.db.reservation.findUniqueOrThrow({ where: { id: row.id }, include });
  return renderReservationRow(ctx, after);
}
