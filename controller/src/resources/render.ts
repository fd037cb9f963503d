// Database rows -> API objects (pure).
import type { Event, Image, Node, PortAllocation, Reservation, User } from '../store/generated/postgresql/client.ts';
import { costCents, billedHours, DEFAULT_RATE_CENTS_PER_CORE_HOUR } from '../billing/index.ts';
import { coresOf, formatMemoryMiB, type ImageSpecInput, type ReservationSpecInput } from '../manifests/index.ts';
import type { Condition } from '../domain/conditions.ts';
import { PUBLISHED_PHASE } from '../domain/phases.ts';
import type { AdmittedImageStatus, ApiObject, Endpoint, ImageObject, ImageUsage, NodeStatus, ReservationObject, StoredReservationStatus } from './types.ts';

const API_VERSION = 'berth/v1' as const;
const iso = (d: Date | null | undefined) => (d ? d.toISOString() : undefined);

function meta(row: { id: string; name: string; labels: unknown; createdAt: Date }, generation: number) {
  return { name: row.name, uid: row.id, labels: (row.labels ?? {}) as Record<string, string>, generation, creationTimestamp: row.createdAt.toISOString() };
}

export function renderImage(row: Image, usage?: ImageUsage): ImageObject {
  const status = { observedGeneration: row.generation, ...(usage ? { reservations: usage } : {}) };
  return { apiVersion: API_VERSION, kind: 'Image', metadata: meta(row, row.generation), spec: row.spec as ImageSpecInput, status };
}

/** The image a reservation runs, as it was admitted (undefined on an old row whose image was gone). */
export function admittedImageStatus(row: Pick<Reservation, 'imageName' | 'imageSpec' | 'imageGeneration'>): AdmittedImageStatus | undefined {
  if (!row.imageSpec) return undefined;
  return { name: row.imageName, ...(row.imageGeneration !== null ? { generation: row.imageGeneration } : {}), spec: row.imageSpec as ImageSpecInput };
}

export type ReservationRow = Reservation & { node?: Node | null; ports?: PortAllocation[]; owner?: User | null };

export function endpointsOf(ports: PortAllocation[], publicAddress: string, phase: string): Endpoint[] {
  if (phase !== PUBLISHED_PHASE) return [];
  return [...ports]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((p) => ({ name: p.name, port: p.containerPort, address: `${publicAddress}:${p.natPort}` }));
}

export function renderReservation(row: ReservationRow, ctx: { publicAddress: string; now: number; rateCents?: number }): ReservationObject {
  const stored = (row.status ?? {}) as StoredReservationStatus;
  const billing = {
    startedAt: row.startedAt?.getTime() ?? null,
    endAt: row.endAt.getTime(),
    endedAt: row.endedAt?.getTime() ?? null,
    milliCores: row.milliCores,
    rateCentsPerCoreHour: ctx.rateCents ?? DEFAULT_RATE_CENTS_PER_CORE_HOUR,
  };
  const metadata = { ...meta(row, row.generation), ...(row.owner ? { owner: row.owner.username } : {}) };
  return {
    apiVersion: API_VERSION,
    kind: 'Reservation',
    metadata,
    spec: row.spec as ReservationSpecInput,
    status: {
      phase: row.phase,
      ...(row.node ? { node: row.node.name } : {}),
      endpoints: endpointsOf(row.ports ?? [], ctx.publicAddress, row.phase),
      conditions: stored.conditions ?? [],
      observedGeneration: stored.observedGeneration ?? row.generation,
      resources: { cores: coresOf(row.milliCores), memory: formatMemoryMiB(row.memoryMiB) },
      startTime: row.startAt.toISOString(),
      endTime: row.endAt.toISOString(),
      ...(row.startedAt ? { startedAt: iso(row.startedAt) } : {}),
      ...(row.endedAt ? { endedAt: iso(row.endedAt) } : {}),
      ...(stored.message ? { message: stored.message } : {}),
      cost: { cents: costCents(billing, ctx.now), currency: 'USD', hours: billedHours(billing, ctx.now) },
    },
  };
}

export interface NodeUsage {
  milliCores: number;
  memoryMiB: number;
  reservations: number;
}

export function renderNode(row: Node, usage: NodeUsage): ApiObject<Record<string, unknown>, NodeStatus> {
  const status = (row.status ?? {}) as { conditions?: Condition[] };
  return {
    apiVersion: API_VERSION,
    kind: 'Node',
    metadata: meta({ ...row, labels: row.labels }, 1),
    spec: { address: row.address, cores: row.cores, memory: formatMemoryMiB(row.memoryMiB), unschedulable: row.cordoned },
    status: {
      conditions: status.conditions ?? [],
      capacity: { cores: row.cores, memory: formatMemoryMiB(row.memoryMiB) },
      usage: { cores: coresOf(usage.milliCores), memory: formatMemoryMiB(usage.memoryMiB), reservations: usage.reservations },
      ...(row.lastHeartbeat ? { lastHeartbeat: row.lastHeartbeat.toISOString() } : {}),
      metrics: (row.metrics ?? {}) as Record<string, number>,
    },
  };
}

export function renderEvent(row: Event) {
  return {
    apiVersion: API_VERSION,
    kind: 'Event',
    metadata: { name: `${row.objectName}.${row.id}`, uid: String(row.id), creationTimestamp: row.createdAt.toISOString() },
    type: row.type,
    reason: row.reason,
    message: row.message,
    involvedObject: { kind: row.kind, name: row.objectName, uid: row.objectId },
    time: row.createdAt.toISOString(),
  };
}
