// How a failure reads on stderr: one `error:` line, plus per-node reasons when admission was
// refused. Pure; never a stack trace.
import { BerthError, exitCodeFor } from '../errors/index.ts';

export interface Failure {
  lines: string[];
  exitCode: number;
}

export function describeFailure(err: unknown, prefix = ''): Failure {
  if (err instanceof BerthError) {
    const field = err.field ? ` (field: ${err.field})` : '';
    const lines = [`error: ${prefix}${err.message}${field}`];
    // An admin's message already names each node and why; a line of its own only for what it does not.
    if (err.code === 'NoResources')
      lines.push(
        ...nodeReasons(err.details)
          .filter((l) => !err.message.includes(l))
          .map((l) => `  ${l}`),
      );
    return { lines, exitCode: exitCodeFor(err.code) };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { lines: [`error: ${prefix}${message.split('\n')[0]}`], exitCode: exitCodeFor('Internal') };
}

/** Accepts the scheduler's rejections as a list, wrapped in an object, or as a node -> reason map. */
export function nodeReasons(details: unknown): string[] {
  if (!details || typeof details !== 'object') return [];
  if (Array.isArray(details)) return details.flatMap(rejectionLine);
  const d = details as Record<string, unknown>;
  for (const key of ['rejections', 'nodes', 'reasons']) {
    if (Array.isArray(d[key])) return (d[key] as unknown[]).flatMap(rejectionLine);
    if (d[key] && typeof d[key] === 'object') return nodeReasons(d[key]);
  }
  const entries = Object.entries(d).filter(([, v]) => typeof v === 'string');
  return entries.length === Object.keys(d).length ? entries.map(([node, reason]) => `${node}: ${String(reason)}`) : [];
}

function rejectionLine(r: unknown): string[] {
  if (!r || typeof r !== 'object') return typeof r === 'string' ? [r] : [];
  const { node, name, reason, message } = r as Record<string, unknown>;
  const who = node ?? name;
  const why = reason ?? message;
  if (why === undefined) return [];
  return [who === undefined ? String(why) : `${String(who)}: ${String(why)}`];
}
