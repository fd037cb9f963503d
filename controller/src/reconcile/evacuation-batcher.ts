// Nodes lost together (their agents went silent at once) come due for evacuation together. Each
// evacuation holds the admission section for a few statements whatever its size, and at 1,000
// nodes under load a statement waits ~10-50 ms for the event loop: one section per node emptied
// a 100-node loss one node every ~0.2 s. The batcher empties every node asked for meanwhile in
// the next single pass, and tells each caller how many of its node's reservations moved or failed.
import type { EvacuationResult } from './evacuate-node.ts';

type NodeRef = { id: string; name: string };
type Waiter = { resolve: (count: number) => void; reject: (err: unknown) => void };

export class EvacuationBatcher {
  private readonly pending = new Map<string, { node: NodeRef; waiters: Waiter[] }>();
  private running = false;

  /** `pass` empties the given nodes in one admission section (evacuateNodes inside guard.run). */
  constructor(private readonly pass: (nodes: NodeRef[]) => Promise<EvacuationResult>) {}

  /** Resolves, once a pass that includes the node has finished, to how many of its reservations moved or failed. */
  evacuate(node: NodeRef): Promise<number> {
    return new Promise((resolve, reject) => {
      const entry = this.pending.get(node.id) ?? { node, waiters: [] };
      entry.waiters.push({ resolve, reject });
      this.pending.set(node.id, entry);
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.pending.size > 0) {
        // Requests made in the same turn (several node reconciles finishing) join this pass.
        await new Promise<void>((resolve) => setImmediate(resolve));
        const batch = [...this.pending.values()];
        this.pending.clear();
        try {
          const result = await this.pass(batch.map((b) => b.node));
          const counts = new Map<string, number>();
          for (const r of [...result.rescheduled, ...result.failed]) counts.set(r.fromNodeId, (counts.get(r.fromNodeId) ?? 0) + 1);
          for (const b of batch) for (const w of b.waiters) w.resolve(counts.get(b.node.id) ?? 0);
        } catch (err) {
          for (const b of batch) for (const w of b.waiters) w.reject(err);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
