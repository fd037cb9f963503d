// The engine ping port for Docker: GET /_ping, the cheapest call the engine answers.
import type Docker from 'dockerode';
import { engineMessage } from '../runtime/engine-error.ts';
import type { EnginePing } from './engine-monitor.ts';

export function dockerPing(docker: Docker): EnginePing {
  return async (signal) => {
    try {
      // dockerode 5 takes { abortSignal } here; @types/dockerode does not declare it.
      await (docker.ping as unknown as (opts: { abortSignal: AbortSignal }) => Promise<unknown>).call(docker, { abortSignal: signal });
    } catch (err) {
      // The engine's own words (or the socket error), not dockerode's "(HTTP code N)" wrapper.
      throw new Error(engineMessage(err));
    }
  };
}
