// The flags Node runs the agent with, wherever Berth starts it: the unit `berth-agent install`
// writes, the first line of the built executable (dist/berth-agent.mjs, which the release's
// bin/berth-agent and deploy/systemd/berth-agent.service run), and the tests' agents.
//
// The agent is mostly idle (a beat every 5 s, an engine event now and then): V8's compiled tiers
// (Sparkplug's baseline code, TurboFan's optimized code and the compiler's zones) buy it no
// time a user sees, and cost memory. --no-opt --no-sparkplug keep every function in the
// interpreter; a 1 MiB semi-space keeps the young generation small. Not --lite-mode: it implies
// --jitless, which removes WebAssembly, and Node's fetch (undici's HTTP parser) then throws.
// Measured with real agents against a real controller on this 2-core machine, interleaved
// starts: idle RSS, median of 3, 61.1-61.2 -> 54.6 MiB; agent CPU over 60 s with 20 running
// containers 1,040-1,090 ms against 1,110-1,210 without the flags, and 470-530 against 530-570 ms
// to start the 20 (no cost beyond noise).
export const AGENT_NODE_FLAGS: readonly string[] = ['--no-opt', '--no-sparkplug', '--max-semi-space-size=1'];

/** The first line of the agent's executable: runs it with its flags (env -S splits them). */
export const AGENT_SHEBANG = `#!/usr/bin/env -S node ${AGENT_NODE_FLAGS.join(' ')}`;
