// Group commit. Callers that arrive while one group is inside its critical section wait for the
// next section, which takes all of them at once: one lock hand-over and one store write per group
// instead of one per caller, and the section is no longer idle for a round trip per caller.

/** One item's outcome, in the order the items were handed to the handler. */
export type Settled<R> = { ok: R } | { err: unknown };

interface Waiter<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (err: unknown) => void;
}

export class GroupQueue<T, R> {
  private waiting: Array<Waiter<T, R>> = [];
  private scheduled = false;

  constructor(
    /** Runs one section alone (the admission lock). */
    private readonly run: (section: () => Promise<void>) => Promise<unknown>,
    /** Handles a group inside the section; one outcome per item, in order. */
    private readonly handle: (items: T[]) => Promise<Array<Settled<R>>>,
    /** A bound on a group, so one section (and the lock) is not held for an unbounded time. */
    private readonly maxGroup = 64,
  ) {}

  /** Items waiting for a section (not those of the section running). */
  get size(): number {
    return this.waiting.length;
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0) return;
    this.scheduled = true;
    let entered = false;
    void this.run(() => {
      entered = true;
      return this.drain();
    }).catch((err: unknown) => {
      if (entered) return; // drain settled its group; a failure after it (the lock's release) is the lock's
      // The section never ran (the lock could not be taken): the group it would have taken fails.
      this.scheduled = false;
      for (const w of this.waiting.splice(0, this.maxGroup)) w.reject(err);
      this.schedule();
    });
  }

  private async drain(): Promise<void> {
    // Arrivals from here on need a section of their own, queued behind this one.
    this.scheduled = false;
    const group = this.waiting.splice(0, this.maxGroup);
    this.schedule();
    if (group.length === 0) return;
    let outcomes: Array<Settled<R>>;
    try {
      outcomes = await this.handle(group.map((w) => w.item));
    } catch (err) {
      outcomes = group.map(() => ({ err }));
    }
    group.forEach((w, i) => {
      const o = outcomes[i] ?? { err: new Error('group handler returned no outcome for an item') };
      if ('ok' in o) w.resolve(o.ok);
      else w.reject(o.err);
    });
  }
}
