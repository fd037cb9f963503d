// Sizes both ends of `berth exec` agree on (see ExecRequest in caas/v1/agent.proto).

/** Largest payload of one ExecOutput or ExecRequest.stdin. */
export const EXEC_CHUNK_BYTES = 32 * 1024;
/**
 * Bytes one side may send beyond what the other has acknowledged, per exec and direction. With
 * EXEC_MAX_PER_NODE execs this bounds what execs can queue on a node's stream (8 MiB in all)
 * and what one exec can hold in the controller's memory.
 */
export const EXEC_WINDOW_BYTES = 256 * 1024;
/** A receiver acknowledges once this much is delivered, so a quiet exec is never left blocked. */
export const EXEC_ACK_EVERY_BYTES = EXEC_WINDOW_BYTES / 4;
/** Concurrent execs on one node; the agent refuses more and the controller does not ask. */
export const EXEC_MAX_PER_NODE = 16;
/** The longest an exec may run, whatever the controller asks: the agent kills it then. */
export const EXEC_MAX_TIMEOUT_MS = 7 * 24 * 3600_000;
