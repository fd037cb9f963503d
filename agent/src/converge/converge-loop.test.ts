import { describe, expect, it } from 'vitest';
import type { ContainerReport, ContainerSpec } from '@berth/proto';
import type { ContainerRuntime, CreateRequest, ObservedContainer } from '../runtime/container-runtime.ts';
import { ConvergeLoop } from './converge-loop.ts';

/** In-memory engine whose create() can be held open to observe what queues up behind it. */
class FakeRuntime implements ContainerRuntime {
  readonly nodeName = 'fake';
  readonly containers = new Map<string, ObservedContainer>();
  readonly created: string[] = [];
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  private next = 0;

  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }
  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }
  async listManaged() {
    return [...this.containers.values()];
  }
  async inspect(id: string) {
    return this.containers.get(id);
  }
  async imageExists() {
    return true;
  }
  async pull() {}
  async create({ spec, specHash }: CreateRequest) {
    this.created.push(spec.reservationId);
    await this.gate;
    const id = `c${this.next++}`;
    this.containers.set(id, {
      id, name: spec.name, image: spec.image, reservationId: spec.reservationId, generation: spec.generation,
      specHash, state: 'created', health: 'none', restartCount: 0, startedAtMs: 0, ports: spec.ports, message: '',
      tenant: spec.tenant ?? '', ephemeralStorageLimitBytes: 0,
    });
    return id;
  }
  async start(id: string) {
    const c = this.containers.get(id);
    if (c) c.state = 'running';
  }
  async stop(id: string) {
    const c = this.containers.get(id);
    if (c) c.state = 'exited';
  }
  async restart(id: string) {
    await this.start(id);
  }
  async remove(id: string) {
    this.containers.delete(id);
  }
  watchEvents() {
    return () => undefined;
  }
}

const spec = (reservationId: string): ContainerSpec => ({
  reservationId, generation: 1, name: reservationId, image: 'img', cpus: 1, memoryBytes: 1, ports: [], env: {}, profile: 'ephemeral', dataPath: '',
});

describe('ConvergeLoop', () => {
  it('applies only the latest desired state after a busy pass, skipping the ones in between', async () => {
    const runtime = new FakeRuntime();
    const reports: ContainerReport[] = [];
    const loop = new ConvergeLoop({ runtime, onReport: (r) => reports.push(r) });
    runtime.hold();
    const first = loop.setDesired({ version: 1, containers: [spec('a')] });
    void loop.setDesired({ version: 2, containers: [spec('b')] });
    const last = loop.setDesired({ version: 3, containers: [spec('c')] });
    runtime.release();
    await Promise.all([first, last]);

    expect(reports.map((r) => r.appliedVersion)).toEqual([1, 3]);
    expect(runtime.created).toEqual(['a', 'c']);
    expect(reports.at(-1)!.containers.map((c) => [c.reservationId, c.state])).toEqual([['c', 'running']]);
  });

  it('reports what it observes before any desired state arrives, without changing anything', async () => {
    const runtime = new FakeRuntime();
    await runtime.create({ spec: spec('left-over'), specHash: 'x' });
    const reports: ContainerReport[] = [];
    const loop = new ConvergeLoop({ runtime, onReport: (r) => reports.push(r) });
    await loop.trigger();
    expect(reports).toHaveLength(1);
    expect(reports[0].appliedVersion).toBe(0);
    expect(reports[0].containers.map((c) => c.reservationId)).toEqual(['left-over']);
    expect(runtime.containers.size).toBe(1);
  });
});
