// In-process signal that stored state of a kind may have changed. Watchers re-read and diff
// (level-triggered): a signal carries no data, so a missed or extra one is harmless.
import { EventEmitter } from 'node:events';

export type Topic = 'reservations' | 'nodes' | 'containers';

export class ChangeBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  notify(...topics: Topic[]): void {
    for (const t of topics) this.emitter.emit(t);
  }

  subscribe(topic: Topic, fn: () => void): () => void {
    this.emitter.on(topic, fn);
    return () => this.emitter.off(topic, fn);
  }
}
