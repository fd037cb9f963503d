// What one manifest may carry. These bound the objects a tenant can store and, above all, the
// container spec the controller sends to a node: a node's desired set is at most
// MAX_RESERVATIONS_PER_NODE specs (see capacity/), each at most what these limits allow, and that
// product must stay well inside the agent stream's message limit (STREAM_MAX_MESSAGE_BYTES in
// @berth/proto). agents/desired-set-size.test.ts sends the largest allowed set over a real stream.

/** Environment variables of one Image or Reservation (the container gets both, merged). */
export const ENV_MAX_ENTRIES = 64;
/** Bytes (UTF-8) of all names and values of one env map together. */
export const ENV_MAX_TOTAL_BYTES = 32 * 1024;
export const ENV_NAME_MAX_CHARS = 128;

/** metadata.labels: Kubernetes' 63-character keys and values, and a bounded count. */
export const LABELS_MAX_ENTRIES = 64;
export const LABEL_MAX_CHARS = 63;

const encoder = new TextEncoder();

export function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

/** Bytes of an env map as the limit counts them: every name and value. */
export function envBytes(env: Record<string, string>): number {
  let total = 0;
  for (const [name, value] of Object.entries(env)) total += utf8Bytes(name) + utf8Bytes(value);
  return total;
}
