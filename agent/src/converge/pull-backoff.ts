/**
 * Remembers failed pulls so a bad image reference is retried with growing pauses instead of
 * hammering the registry on every resync; the last engine message is kept for the report.
 */
export class PullBackoff {
  private readonly failures = new Map<string, { message: string; attempts: number; retryAt: number }>();

  constructor(
    private readonly initialMs = 2_000,
    private readonly maxMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The last failure message while the image is still backing off, else undefined. */
  blocked(image: string): string | undefined {
    const f = this.failures.get(image);
    return f && this.now() < f.retryAt ? f.message : undefined;
  }

  failed(image: string, message: string): void {
    const attempts = (this.failures.get(image)?.attempts ?? 0) + 1;
    const delay = Math.min(this.maxMs, this.initialMs * 2 ** (attempts - 1));
    this.failures.set(image, { message, attempts, retryAt: this.now() + delay });
  }

  succeeded(image: string): void {
    this.failures.delete(image);
  }
}
