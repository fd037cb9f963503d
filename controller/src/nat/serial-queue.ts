/** Runs tasks one after another, so overlapping level-triggered syncs never interleave. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    // A failed task must not block the ones queued behind it; its caller still sees the failure.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
