// Which recorded events are reservation lifecycle events a webhook can subscribe to. Pure: the
// notifier confirms "failed" against the stored phase (an image pull failing is first a warning
// on a reservation that may still start, and only later, for good, its failure).
export const LIFECYCLE_EVENTS = ['admitted', 'started', 'ending', 'ended', 'failed', 'moved'] as const;
export type LifecycleEvent = (typeof LIFECYCLE_EVENTS)[number];

const BY_REASON: Record<string, LifecycleEvent> = {
  Scheduled: 'admitted',
  Started: 'started',
  Expired: 'ended',
  Deleted: 'ended',
  Rescheduled: 'moved',
  NodeLost: 'failed',
  ImagePullFailed: 'failed',
  EphemeralStorageExceeded: 'failed',
};

export interface RecordedEvent {
  type?: 'Normal' | 'Warning';
  kind: string;
  reason: string;
}

export function lifecycleOf(e: RecordedEvent): LifecycleEvent | undefined {
  if (e.kind !== 'Reservation') return undefined;
  const event = BY_REASON[e.reason];
  if (event === 'failed' && e.type !== 'Warning') return undefined;
  return event;
}

/** Events that happen once per reservation (per end time for "ending"): their deliveries are deduplicated. */
export function dedupeKey(webhookId: string, reservationId: string, event: LifecycleEvent, discriminator?: string | number): string {
  return [webhookId, reservationId, event, ...(discriminator === undefined ? [] : [String(discriminator)])].join(':');
}
