// `berth cordon|uncordon|drain NODE`, `berth node revoke NODE`: node administration (admin token required).
import type { Command } from 'commander';
import type { CliDeps } from '../deps.ts';
import { clientFor } from './context.ts';

interface DrainAnswer {
  drain: {
    rescheduled: Array<{ reservation: string; node: string }>;
    failed: Array<{ reservation: string; reason: string }>;
    remaining: Array<{ reservation: string; reason: string }>;
  };
}

export function registerNodeOps(program: Command, deps: CliDeps): void {
  for (const [verb, help] of [
    ['cordon', 'mark a node unschedulable (running work stays)'],
    ['uncordon', 'mark a node schedulable again'],
  ] as const) {
    program
      .command(verb)
      .description(help)
      .argument('<node>', 'node name')
      .action(async (name: string, _opts: unknown, cmd: Command) => {
        await clientFor(cmd, deps).request('POST', `api/v1/nodes/${encodeURIComponent(name)}/${verb}`);
        deps.stdout(`node/${name} ${verb}ed\n`);
      });
  }
  program
    .command('drain')
    .description('cordon a node and move its reservations (started or not) to other nodes where they fit')
    .argument('<node>', 'node name')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const { drain } = await clientFor(cmd, deps).request<DrainAnswer>('POST', `api/v1/nodes/${encodeURIComponent(name)}/drain`);
      deps.stdout(`node/${name} cordoned\n`);
      for (const r of drain.rescheduled) deps.stdout(`reservation/${r.reservation} moved to node ${r.node}\n`);
      for (const r of drain.remaining) deps.stdout(`reservation/${r.reservation} stays: ${r.reason}\n`);
      deps.stdout(`node/${name} drained\n`);
    });
  program
    .command('node')
    .description('node identities')
    .command('revoke')
    .description("revoke a node's identity: its stream closes now and its certificate is never accepted again")
    .argument('<node>', 'node name')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      await clientFor(cmd, deps).request('POST', `api/v1/nodes/${encodeURIComponent(name)}/revoke`);
      deps.stdout(`node/${name} identity revoked\n`);
    });
}
