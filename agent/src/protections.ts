// The protections of issue 9 that a measurement may switch off one by one, to price each on the
// apply → reachable path (test/bench/apply-to-connect.bench.ts). Never on a node serving customers.

export const PROTECTIONS = ['network', 'rules', 'hardening'] as const;
/**
 * network: the per-tenant bridge (containers join the engine's default bridge instead);
 * rules: the BERTH-ISOLATION chains; hardening: PIDs limit, capabilities, no-new-privileges,
 * swap and log caps.
 */
export type Protection = (typeof PROTECTIONS)[number];

/** `network,rules` -> ['network', 'rules']; throws on an unknown name. */
export function parseProtections(text: string): Protection[] {
  const names = [
    ...new Set(
      text
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean),
    ),
  ];
  for (const n of names) {
    if (!(PROTECTIONS as readonly string[]).includes(n)) throw new Error(`${JSON.stringify(n)} is not one of ${PROTECTIONS.join(', ')}`);
  }
  return names as Protection[];
}
