// The contract between controller and agent: proto/caas/v1/agent.proto, loaded by
// @grpc/proto-loader with LOAD_OPTIONS. Its TypeScript types are generated from the .proto into
// proto/generated/ (proto/generate-types.ts); this module names them for the call sites.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { AgentMessage, AgentMessage__Output } from './generated/caas/v1/AgentMessage.ts';
import type { ContainerReport__Output } from './generated/caas/v1/ContainerReport.ts';
import type { ContainerSpec__Output } from './generated/caas/v1/ContainerSpec.ts';
import type { ContainerStatus__Output } from './generated/caas/v1/ContainerStatus.ts';
import type { ControllerMessage, ControllerMessage__Output } from './generated/caas/v1/ControllerMessage.ts';
import type { DesiredState__Output } from './generated/caas/v1/DesiredState.ts';
import type { LogsRequest__Output } from './generated/caas/v1/LogsRequest.ts';
import type { NodeMetrics__Output } from './generated/caas/v1/NodeMetrics.ts';
import type { Register__Output } from './generated/caas/v1/Register.ts';
import { LOAD_OPTIONS } from './load-options.ts';

export const PROTO_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), 'caas/v1/agent.proto');
export { LOAD_OPTIONS };

// A message by its own name is the generated `__Output` type: the shape a stream decodes with
// LOAD_OPTIONS (every field present with its default, int64 as number, an absent sub-message
// null, the oneof's case in `msg`).
export type { AgentMessage__Output as AgentMessage } from './generated/caas/v1/AgentMessage.ts';
export type { ContainerSecurity__Output as ContainerSecurity } from './generated/caas/v1/ContainerSecurity.ts';
export type { ControllerMessage__Output as ControllerMessage } from './generated/caas/v1/ControllerMessage.ts';
export type { EngineStatus__Output as EngineStatus } from './generated/caas/v1/EngineStatus.ts';
export type { ExecOutput__Output as ExecOutput, ExecOutput as ExecOutputIn } from './generated/caas/v1/ExecOutput.ts';
export type { ExecRequest__Output as ExecRequest, ExecRequest as ExecRequestIn } from './generated/caas/v1/ExecRequest.ts';
export type { ExecStart__Output as ExecStart } from './generated/caas/v1/ExecStart.ts';
export type { Heartbeat__Output as Heartbeat } from './generated/caas/v1/Heartbeat.ts';
export type { LogChunk__Output as LogChunk } from './generated/caas/v1/LogChunk.ts';
export type { MountStatus__Output as MountStatus } from './generated/caas/v1/MountStatus.ts';
export type { NodeIdentity__Output as NodeIdentity } from './generated/caas/v1/NodeIdentity.ts';
export type { PortBinding__Output as PortBinding } from './generated/caas/v1/PortBinding.ts';
export type { Registered__Output as Registered } from './generated/caas/v1/Registered.ts';
export type { StorageNode__Output as StorageNode } from './generated/caas/v1/StorageNode.ts';

/** What is written on a stream: proto-loader's permissive input types, which a decoded shape satisfies. */
export type { AgentMessage as AgentMessageIn, ControllerMessage as ControllerMessageIn };

/**
 * T with fields K optional. The messages below are also built in process (by the side that sends
 * them, and by tests), where these fields are left out on purpose: added to the contract later,
 * so older peers omit them, or (ContainerStatus's usage) unknown, which the agent's own metrics
 * tell apart from 0. A peer decodes a left-out field as its default, as it did before the field
 * existed.
 */
type Omissible<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

export type NodeMetrics = Omissible<NodeMetrics__Output, 'cpuPercent'>;
export type Register = Omissible<Register__Output, 'storagePublicKey' | 'publicKey'>;
export type LogsRequest = Omissible<LogsRequest__Output, 'cancel'>;
export type ContainerStatus = Omissible<ContainerStatus__Output, 'cpuPercent' | 'memoryBytes' | 'mounts' | 'security'>;
export type ContainerSpec = Omissible<ContainerSpec__Output, 'milliCpus' | 'startAtMs' | 'tenant' | 'pidsLimit' | 'storageGranted' | 'ephemeralStorageBytes'>;
export type ContainerReport = Omit<ContainerReport__Output, 'containers'> & { containers: ContainerStatus[] };
export type DesiredState = Omit<DesiredState__Output, 'containers'> & { containers: ContainerSpec[] };

// A stream writes the input type and reads the decoded one, as proto-loader's generated
// AgentService client and handlers do.
export type AgentStream = grpc.ClientDuplexStream<AgentMessage, ControllerMessage__Output>;
export type ControllerStream = grpc.ServerDuplexStream<AgentMessage__Output, ControllerMessage>;

let cached: grpc.GrpcObject | undefined;

/** Loads the contract once; returns the AgentService constructor and service definition. */
export function loadAgentService(): grpc.ServiceClientConstructor {
  if (!cached) {
    const def = protoLoader.loadSync(PROTO_PATH, LOAD_OPTIONS);
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
export * from './exec-limits.ts';
