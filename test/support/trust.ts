// The fetch option that makes a test's request verify the server against `ca` (PEM) only, as the
// CLI does: Node's fetch has no `ca` option, npm's undici Agent takes one.
import { Agent, type Dispatcher } from 'undici';

const agents = new Map<string, Agent>();

export function trustOptions(ca: string | undefined): { dispatcher?: Dispatcher } {
  if (!ca) return {};
  let agent = agents.get(ca);
  if (!agent) {
    agent = new Agent({ connect: { ca } });
    agents.set(ca, agent);
  }
  return { dispatcher: agent };
}
