import type pino from 'pino';
import type { ContainerSpec } from '@berth/proto';
import type { ContainerRuntime, CreateRequest } from '../runtime/container-runtime.ts';
import type { Action } from './plan.ts';
import { PullBackoff } from './pull-backoff.ts';

/** reservationId -> what went wrong for it during this apply. */
export type Failures = Map<string, string>;

export interface ApplyContext {
  runtime: ContainerRuntime;
  log?: pino.Logger;
  pullBackoff?: PullBackoff;
  /** The volumes and binds of a spec's container (storage profiles); none when absent. */
  mountsFor?: (spec: ContainerSpec) => CreateRequest['mounts'];
  /** The tenant network of a spec's container; the engine's default network when absent. */
  networkFor?: (spec: ContainerSpec) => string | undefined;
}

/**
 * Runs the planned actions in order. A failure is recorded against its reservation and never
 * stops the actions of other reservations.
 */
export async function applyActions(actions: Action[], ctx: ApplyContext): Promise<Failures> {
  const failures: Failures = new Map();
  const failedImages = new Set<string>();
  for (const action of actions) {
    switch (action.kind) {
      case 'pull': {
        const message = await pullImage(action.image, ctx);
        if (message === undefined) break;
        failedImages.add(action.image);
        for (const r of action.reservationIds) failures.set(r, `pull failed: ${message}`);
        break;
      }
      case 'remove':
        await attempt(failures, action.reservationId, 'remove failed', () => ctx.runtime.remove(action.containerId));
        if (!failures.has(action.reservationId)) {
          ctx.log?.info({ reservation: action.reservationId, container: action.containerId, reason: action.reason }, 'container removed');
        }
        break;
      case 'create': {
        const reservation = action.spec.reservationId;
        // A failed removal (e.g. of the outdated container) or pull makes the create pointless.
        if (failures.has(reservation) || failedImages.has(action.spec.image)) break;
        let id = '';
        await attempt(failures, reservation, 'create failed', async () => {
          id = await ctx.runtime.create({
            spec: action.spec,
            specHash: action.specHash,
            mounts: ctx.mountsFor?.(action.spec),
            network: ctx.networkFor?.(action.spec),
          });
        });
        if (id && action.start) await attempt(failures, reservation, 'start failed', () => ctx.runtime.start(id));
        if (id && !failures.has(reservation))
          ctx.log?.info({ reservation, container: id, started: action.start }, action.start ? 'container started' : 'container prepared');
        break;
      }
      case 'start':
        await attempt(failures, action.reservationId, 'start failed', () => ctx.runtime.start(action.containerId));
        break;
    }
  }
  return failures;
}

async function pullImage(image: string, ctx: ApplyContext): Promise<string | undefined> {
  const blocked = ctx.pullBackoff?.blocked(image);
  if (blocked !== undefined) return blocked;
  try {
    await ctx.runtime.pull(image);
    ctx.pullBackoff?.succeeded(image);
    return undefined;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    ctx.pullBackoff?.failed(image, message);
    ctx.log?.warn({ image, err: message }, 'image pull failed');
    return message;
  }
}

async function attempt(failures: Failures, reservation: string, what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    failures.set(reservation, `${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
