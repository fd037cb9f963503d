import type { Condition } from '../domain/conditions.ts';
import type { ImageSpecInput, ReservationSpecInput } from '../manifests/index.ts';

export interface ObjectMeta {
  name: string;
  uid: string;
  labels: Record<string, string>;
  generation: number;
  creationTimestamp: string;
  owner?: string;
}

export interface Endpoint {
  name: string;
  port: number; // the image (container) port
  address: string; // publicAddress:natPort
}

export interface ReservationStatus {
  phase: string;
  node?: string;
  endpoints: Endpoint[];
  conditions: Condition[];
  observedGeneration: number;
  /** What was granted: the spec's request or the image's defaults; cores as a number (0.5). */
  resources: { cores: number; memory: string };
  startTime: string;
  endTime: string;
  startedAt?: string;
  endedAt?: string;
  message?: string;
  cost: { cents: number; currency: 'USD'; hours: number };
  /** One reservation's GET only: the image it runs, as admitted; later Image edits do not reach it. */
  image?: AdmittedImageStatus;
}

export interface AdmittedImageStatus {
  name: string;
  /** The Image's generation it was admitted with (absent on rows admitted before it was kept). */
  generation?: number;
  spec: ImageSpecInput;
}

/** One Image's GET only: how many live reservations run it, and how many an older generation of it. */
export interface ImageUsage {
  live: number;
  olderGeneration: number;
}

/** What the reservation row keeps in its `status` JSON column; the rest is derived. */
export interface StoredReservationStatus {
  conditions?: Condition[];
  observedGeneration?: number;
  message?: string;
}

export interface NodeStatus {
  conditions: Condition[];
  capacity: { cores: number; memory: string };
  usage: { cores: number; memory: string; reservations: number };
  lastHeartbeat?: string;
  metrics: Record<string, number>;
}

export interface ApiObject<Spec, Status> {
  apiVersion: 'berth/v1';
  kind: string;
  metadata: ObjectMeta;
  spec: Spec;
  status: Status;
}

export type ImageObject = ApiObject<ImageSpecInput, { observedGeneration: number; reservations?: ImageUsage }>;
export type ReservationObject = ApiObject<ReservationSpecInput, ReservationStatus>;
