// Pure: whether the agent may run an exec the controller asked for. The controller is trusted
// to authorize the user, but the agent still only runs commands in a Berth container of this node
// for a reservation the controller placed here, and only in the shape the contract allows.
import { EXEC_MAX_TIMEOUT_MS, type ContainerSpec, type ContainerStatus, type ExecStart } from '@berth/proto';
import { LABELS } from '../runtime/index.ts';

const MAX_ARGS = 256;
const MAX_COMMAND_BYTES = 16 * 1024;

/** What is wrong with a start request, or undefined. */
export function execStartProblem(start: ExecStart | null | undefined): string | undefined {
  if (!start) return 'exec request without start';
  const cmd = start.command ?? [];
  if (cmd.length === 0 || cmd[0] === '') return 'empty command';
  if (cmd.length > MAX_ARGS) return `more than ${MAX_ARGS} arguments`;
  if (cmd.some((a) => a.includes('\0'))) return 'an argument contains a NUL byte';
  if (cmd.reduce((n, a) => n + Buffer.byteLength(a), 0) > MAX_COMMAND_BYTES) return `command over ${MAX_COMMAND_BYTES} bytes`;
  if (!(start.timeoutMs > 0)) return 'no time limit';
  const s = start.size;
  if (s && !(s.rows >= 1 && s.rows <= 1000 && s.cols >= 1 && s.cols <= 1000)) return 'terminal size out of range';
  return undefined;
}

/** The time limit the agent enforces: the controller's, never past the contract's maximum. */
export const agentTimeoutMs = (start: ExecStart): number => Math.min(start.timeoutMs, EXEC_MAX_TIMEOUT_MS);

/**
 * The container to exec in: the reservation must be in the desired set the controller sent this
 * node and its container reported running; otherwise why not.
 */
export function execTarget(
  reservationId: string,
  desired: readonly ContainerSpec[] | undefined,
  observed: readonly ContainerStatus[] | undefined,
): { containerId: string } | { problem: string } {
  if (!desired?.some((c) => c.reservationId === reservationId)) return { problem: 'reservation is not placed on this node' };
  const c = observed?.find((o) => o.reservationId === reservationId && o.containerId);
  if (!c) return { problem: 'no container for this reservation on the node' };
  if (c.state !== 'running') return { problem: `container is ${c.state || 'not running'}` };
  return { containerId: c.containerId };
}

/** The engine's own view of the container, read just before the exec: Berth's, this node's, this reservation's, running. */
export function containerProblem(
  info: { Config?: { Labels?: Record<string, string> | null }; State?: { Running?: boolean } },
  nodeName: string,
  reservationId: string,
): string | undefined {
  const labels = info.Config?.Labels ?? {};
  if (labels[LABELS.managed] !== 'true' || labels[LABELS.node] !== nodeName) return 'container is not managed by Berth on this node';
  if (labels[LABELS.reservation] !== reservationId) return 'container belongs to another reservation';
  if (!info.State?.Running) return 'container is not running';
  return undefined;
}
