import { describe, expect, it } from 'vitest';
import { planSandboxes, type Sandbox } from './pod-sandboxes.ts';

const sb = (id: string, network: string, running = true): Sandbox => ({ id, network, ip: `172.18.0.${id.length}`, running });

describe('planSandboxes', () => {
  it('plans nothing when each wanted network has one running spare', () => {
    expect(planSandboxes([sb('a', 'n1'), sb('b', 'n2')], new Set(), new Set(['n1', 'n2']))).toEqual({ create: [], remove: [] });
  });

  it('makes a spare for a wanted network whose only sandbox a container joined', () => {
    expect(planSandboxes([sb('a', 'n1')], new Set(['a']), new Set(['n1']))).toEqual({ create: ['n1'], remove: [] });
  });

  it('never removes a sandbox a container joined, even on a network no longer wanted or stopped', () => {
    expect(planSandboxes([sb('a', 'gone', false)], new Set(['a']), new Set())).toEqual({ create: [], remove: [] });
  });

  it('removes a second spare, a stopped spare and the spare of a network no longer wanted', () => {
    const plan = planSandboxes([sb('a', 'n1'), sb('b', 'n1'), sb('c', 'n2', false), sb('d', 'old')], new Set(), new Set(['n1', 'n2']));
    expect(plan).toEqual({ create: ['n2'], remove: ['b', 'c', 'd'] });
  });
});
