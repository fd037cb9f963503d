// TypeScript view of proto/caas/v1/agent.proto, as loaded by @grpc/proto-loader with the options
// below (camelCase fields, int64 as JS numbers, oneof name set in `msg`).
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const PROTO_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), 'caas/v1/agent.proto');

export interface NodeMetrics {
  memoryTotalBytes: number;
  memoryFreeBytes: number;
  load1: number;
  load5: number;
  load15: number;
  uptimeSeconds: number;
  /** Whole-host CPU busy since the previous reading, 0-100 (absent from older agents). */
  cpuPercent?: number;
}
/**
 * The node's container engine as the agent last checked it (Heartbeat.engine). The controller
 * reads it from every heartbeat: `msg.heartbeat.engine`.
 */
export interface EngineStatus {
  available: boolean;
  /** Why it is unavailable (engine error or ping timeout); empty while available. */
  message: string;
  /** Epoch ms of the first failed check of the current outage; 0 while available. */
  unavailableSinceMs: number;
}
export interface Heartbeat {
  /** null/absent when the agent could not read its host in time; the beat still counts. */
  metrics?: NodeMetrics | null;
  /** null/absent from agents older than the engine check: treat as available. */
  engine?: EngineStatus | null;
}
export interface Register {
  nodeName: string;
  address: string;
  cores: number;
  memoryBytes: number;
  /** Empty when the agent connects with its node certificate. */
  joinToken: string;
  agentVersion: string;
  /** "ssh-ed25519 BASE64" the agent generated for the storage node; empty or absent: none. */
  storagePublicKey?: string;
  /** SPKI PEM, sent with a bootstrap token to ask for a node identity. */
  publicKey?: string;
}
/** The node's client certificate from Berth's CA. */
export interface NodeIdentity {
  certificatePem: string;
  caPem: string;
  expiresAtMs: number;
}
export interface PortBinding {
  name: string;
  containerPort: number;
  hostPort: number;
  hostIp: string;
}
export interface ContainerStatus {
  reservationId: string;
  generation: number;
  containerId: string;
  state: string;
  health: string;
  restartCount: number;
  message: string;
  startedAtMs: number;
  ports: PortBinding[];
  /** Engine stats: share of one core (100 = one full core); absent when unknown. */
  cpuPercent?: number;
  /** Engine stats: memory in use (page cache excluded); absent when unknown. */
  memoryBytes?: number;
  /** The reservation's storage (local volume / remote mount); absent from older agents. */
  mounts?: MountStatus[];
  /** The confinement the engine applied; absent from older agents. */
  security?: ContainerSecurity | null;
}
export interface ContainerSecurity {
  network: string;
  pidsLimit: number;
  noNewPrivileges: boolean;
  /** Every capability the container keeps; all others are dropped. */
  capabilities: string[];
  memorySwapBytes: number;
  logMaxSize: string;
  logMaxFiles: number;
  ephemeralStorageLimitBytes: number;
  /** Writable layer + local volume at the last measurement; 0 = not measured yet. */
  ephemeralStorageUsedBytes: number;
}
export interface MountStatus {
  profile: string;
  source: string;
  target: string;
  /** ready | failed */
  state: string;
  message: string;
}
/** The storage node of the remote profile and this node's own account there, handed to agents in Registered. */
export interface StorageNode {
  host: string;
  port: number;
  user: string;
  basePath: string;
}
export interface Registered {
  nodeId: string;
  heartbeatIntervalMs: number;
  /** null/absent when the controller has no storage node configured. */
  storage?: StorageNode | null;
}
export interface LogsRequest {
  requestId: string;
  reservationId: string;
  follow: boolean;
  tail: number;
  cancel?: boolean;
}
export interface LogChunk {
  requestId: string;
  data: Buffer | Uint8Array;
  eof: boolean;
  error: string;
}
export interface ContainerReport {
  appliedVersion: number;
  containers: ContainerStatus[];
}
export interface AgentMessage {
  register?: Register;
  heartbeat?: Heartbeat;
  report?: ContainerReport;
  logChunk?: LogChunk;
  /** Asks for a new certificate for the same key (mutual TLS streams only). */
  renew?: Record<string, never>;
  msg?: 'register' | 'heartbeat' | 'report' | 'logChunk' | 'renew';
}
export interface ContainerSpec {
  reservationId: string;
  generation: number;
  name: string;
  image: string;
  /** Cores as a double (milliCpus / 1000), for agents that predate milliCpus. */
  cpus: number;
  /** CPU limit in whole millicores; 0 or absent from older controllers (then cpus applies). */
  milliCpus?: number;
  memoryBytes: number;
  ports: PortBinding[];
  env: Record<string, string>;
  profile: string;
  dataPath: string;
  /** Epoch ms the container may start at; 0 or absent = now. */
  startAtMs?: number;
  /** Owner of the reservation; a tenant's containers share a network on the node, no one else's. */
  tenant?: string;
  /** 0 or absent = the agent's default. */
  pidsLimit?: number;
  /** Remote profile: the storage node granted this node the reservation's directory. */
  storageGranted?: boolean;
  /** Writable layer + local volume limit; 0 or absent = the agent's default. */
  ephemeralStorageBytes?: number;
}
export interface DesiredState {
  version: number;
  containers: ContainerSpec[];
}
export interface ControllerMessage {
  registered?: Registered;
  desired?: DesiredState;
  logs?: LogsRequest;
  identity?: NodeIdentity;
  msg?: 'registered' | 'desired' | 'logs' | 'identity';
}

export type AgentStream = grpc.ClientDuplexStream<AgentMessage, ControllerMessage>;
export type ControllerStream = grpc.ServerDuplexStream<AgentMessage, ControllerMessage>;

let cached: grpc.GrpcObject | undefined;

/** Loads the contract once; returns the AgentService constructor and service definition. */
export function loadAgentService(): grpc.ServiceClientConstructor {
  if (!cached) {
    const def = protoLoader.loadSync(PROTO_PATH, {
      keepCase: false,
      longs: Number,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    cached = grpc.loadPackageDefinition(def);
  }
  const caas = cached.caas as grpc.GrpcObject;
  const v1 = caas.v1 as grpc.GrpcObject;
  return v1.AgentService as grpc.ServiceClientConstructor;
}

/**
 * The largest controller -> agent message (gRPC's default receive limit is 4 MiB). A node's whole
 * desired set is one message, and tenants decide how big their specs are, so this is sized on
 * purpose: at most MAX_RESERVATIONS_PER_NODE specs (controller, capacity/) of at most ~67 KiB
 * each (the manifest limits on env) is about 7.2 MiB; this allows twice that. The controller's
 * server sends and the agent's client accepts up to it; agent -> controller messages keep gRPC's
 * default. controller/src/agents/desired-set-size.test.ts sends the largest allowed set.
 */
export const STREAM_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export * from './join-token.ts';
