import type { User } from '../store/generated/postgresql/client.ts';
import { BerthError } from '../errors/index.ts';
import { parseMemoryMiB, parseMilliCores, type Manifest } from '../manifests/index.ts';
import { renderImage } from '../resources/index.ts';
import { recordEvent } from '../events/index.ts';
import { isTerminal, TERMINAL_PHASES } from '../domain/index.ts';
import type { ServiceContext, ApplyResult } from './context.ts';
import { requireAdmin, sameJson } from './context.ts';

type ImageManifest = Extract<Manifest, { kind: 'Image' }>;

export async function applyImage(ctx: ServiceContext, user: User, m: ImageManifest): Promise<ApplyResult> {
  requireAdmin(user, 'images');
  const { resources } = m.spec;
  const milli = (v: string | number) => (parseMilliCores(v) as { milliCores: number }).milliCores; // shape-checked already
  if (resources.maxCores !== undefined && milli(resources.maxCores) < milli(resources.cores)) {
    throw new BerthError('Invalid', 'spec.resources.maxCores: must be at least spec.resources.cores', 'spec.resources.maxCores');
  }
  if (resources.maxMemory !== undefined && parseMemoryMiB(resources.maxMemory)! < parseMemoryMiB(resources.memory)!) {
    throw new BerthError('Invalid', 'spec.resources.maxMemory: must be at least spec.resources.memory', 'spec.resources.maxMemory');
  }
  const { db } = ctx;
  const existing = await db.image.findUnique({ where: { name: m.metadata.name } });
  if (existing && sameJson(existing.spec, m.spec) && sameJson(existing.labels, m.metadata.labels)) {
    return { action: 'unchanged', object: renderImage(existing) };
  }
  const row = existing
    ? await db.image.update({ where: { id: existing.id }, data: { spec: m.spec, labels: m.metadata.labels, generation: existing.generation + 1 } })
    : await db.image.create({ data: { name: m.metadata.name, spec: m.spec, labels: m.metadata.labels } });
  await recordEvent(db, {
    kind: 'Image',
    objectId: row.id,
    objectName: row.name,
    reason: existing ? 'Updated' : 'Created',
    message: `image ${row.name} -> ${m.spec.ref}`,
  });
  ctx.images.forget(row.name);
  // No node is resent anything: reservations run the image they were admitted with
  // (Reservation.imageSpec), so the edit reaches only reservations admitted from now on.
  return { action: existing ? 'configured' : 'created', object: renderImage(row) };
}

export async function getImage(ctx: ServiceContext, name: string) {
  const row = await ctx.db.image.findUnique({ where: { name } });
  if (!row) throw new BerthError('NotFound', `image "${name}" not found`);
  // Reservations keep the image they were admitted with: say how many still run an older one.
  const live = { imageName: name, phase: { notIn: [...TERMINAL_PHASES] } };
  const [all, older] = await Promise.all([
    ctx.db.reservation.count({ where: live }),
    ctx.db.reservation.count({ where: { ...live, imageGeneration: { lt: row.generation } } }),
  ]);
  return renderImage(row, { live: all, olderGeneration: older });
}

export async function listImages(ctx: ServiceContext) {
  return (await ctx.db.image.findMany({ orderBy: { name: 'asc' } })).map((row) => renderImage(row));
}

export async function deleteImage(ctx: ServiceContext, user: User, name: string) {
  requireAdmin(user, 'images');
  const row = await ctx.db.image.findUnique({ where: { name } });
  if (!row) throw new BerthError('NotFound', `image "${name}" not found`);
  const users = await ctx.db.reservation.findMany({ where: { imageName: name }, select: { phase: true } });
  if (users.some((r) => !isTerminal(r.phase))) {
    throw new BerthError('Conflict', `image "${name}" is used by live reservations; delete them first`);
  }
  await ctx.db.image.delete({ where: { id: row.id } });
  ctx.images.forget(row.name);
  await recordEvent(ctx.db, { kind: 'Image', objectId: row.id, objectName: row.name, reason: 'Deleted', message: `image ${row.name} deleted` });
  return renderImage(row);
}
