// The TypeScript types of the agent contract are generated from proto/caas/v1/agent.proto into
// proto/generated/ (git-ignored; the root postinstall and `npm run build` write them). Type-checks
// trust them, so they must be current, and must describe what a stream really decodes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { LOAD_OPTIONS, PROTO_PATH } from '@berth/proto';
import { GENERATED_DIR, generateFresh, readTree } from '../../../proto/generate-types.ts';

/** Fields of `interface NAME__Output` in the generated file: name -> [optional, TypeScript type]. */
function outputFields(message: string): Map<string, { optional: boolean; type: string }> {
  const text = readFileSync(path.join(GENERATED_DIR, 'caas/v1', `${message}.ts`), 'utf8');
  const body = new RegExp(`export interface ${message}__Output \\{([^}]*(?:\\}[^}]*)*?)\\n\\}`).exec(text)?.[1];
  if (body === undefined) throw new Error(`no ${message}__Output in the generated ${message}.ts`);
  const fields = new Map<string, { optional: boolean; type: string }>();
  for (const m of body.matchAll(/^\s*'(\w+)'(\?)?: (.*);$/gm)) fields.set(m[1], { optional: m[2] === '?', type: m[3].replace(/^\((.*)\)$/, '$1') });
  return fields;
}

/** Whether a decoded value is of the generated TypeScript type (the forms proto-loader-gen-types writes). */
function hasType(value: unknown, type: string): boolean {
  if (type.endsWith(')[]')) return Array.isArray(value);
  if (type === 'string' || type === 'number' || type === 'boolean') return typeof value === type;
  if (type === 'Buffer') return Buffer.isBuffer(value);
  if (/^"\w+"(\|"\w+")*$/.test(type)) return type.split('|').includes(JSON.stringify(value)); // a oneof's case
  if (type.startsWith('{[key: string]:')) return typeof value === 'object' && value !== null && !Array.isArray(value);
  if (/^_\w+__Output \| null$/.test(type)) return value === null || (typeof value === 'object' && !Array.isArray(value));
  return false;
}

function expectMatches(message: string, decoded: Record<string, unknown>): void {
  const fields = outputFields(message);
  expect(fields.size, message).toBeGreaterThan(0);
  for (const key of Object.keys(decoded)) expect(fields.has(key), `${message}.${key} is decoded but not in the generated type`).toBe(true);
  for (const [key, { optional, type }] of fields) {
    if (optional && decoded[key] === undefined) continue;
    expect(hasType(decoded[key], type), `${message}.${key}: decoded ${JSON.stringify(decoded[key])}, generated type (${type})`).toBe(true);
  }
}

describe('generated proto types', () => {
  it('are current: proto/generated/ is what the generator writes from the .proto now', () => {
    const fresh = generateFresh();
    const onDisk = readTree(GENERATED_DIR);
    // A mismatch means agent.proto (or the load options) changed since the last generation:
    // run `npm run generate -w @berth/proto`.
    expect([...onDisk.keys()]).toEqual([...fresh.keys()]);
    for (const [file, text] of fresh) expect(onDisk.get(file), `proto/generated/${file} is stale`).toBe(text);
  });

  it('describe what a stream decodes with the run-time load options', () => {
    const service = protoLoader.loadSync(PROTO_PATH, LOAD_OPTIONS)['caas.v1.AgentService'] as protoLoader.ServiceDefinition;
    const connect = service.Connect;
    // Decoded messages as plain data: their shape is what is being checked, so no type is assumed.
    type Decoded = Record<string, any>;
    const fromAgentOf = (value: object) => connect.requestDeserialize(connect.requestSerialize(value)) as Decoded;
    const toAgentOf = (value: object) => connect.responseDeserialize(connect.responseSerialize(value)) as Decoded;
    // Nearly empty messages: every field the agent or controller leaves out comes back decoded
    // as its default, and that default must have the generated type.
    const fromAgent = fromAgentOf({
      report: { appliedVersion: 2 ** 40, containers: [{ ports: [{}], mounts: [{}], security: {} }] },
    });
    expectMatches('AgentMessage', fromAgent);
    expect(fromAgent.msg).toBe('report');
    expectMatches('ContainerReport', fromAgent.report);
    expect(fromAgent.report.appliedVersion).toBe(2 ** 40);
    const status = fromAgent.report.containers[0];
    expectMatches('ContainerStatus', status);
    expectMatches('PortBinding', status.ports[0]);
    expectMatches('MountStatus', status.mounts[0]);
    expectMatches('ContainerSecurity', status.security);

    const beat = fromAgentOf({ heartbeat: {} }).heartbeat;
    expectMatches('Heartbeat', beat);
    expect(beat.metrics).toBeNull();
    for (const [message, value] of [
      ['Register', { register: {} }],
      ['LogChunk', { logChunk: {} }],
    ] as const) {
      expectMatches(message, fromAgentOf(value)[Object.keys(value)[0]]);
    }

    const toAgent = toAgentOf({ desired: { containers: [{ env: { A: '1' } }] } });
    expectMatches('ControllerMessage', toAgent);
    expectMatches('DesiredState', toAgent.desired);
    expectMatches('ContainerSpec', toAgent.desired.containers[0]);
    for (const [message, value] of [
      ['Registered', { registered: {} }],
      ['LogsRequest', { logs: {} }],
      ['NodeIdentity', { identity: {} }],
    ] as const) {
      expectMatches(message, toAgentOf(value)[Object.keys(value)[0]]);
    }
  });
});
