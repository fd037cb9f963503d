// Kubernetes-style status conditions. lastTransitionTime changes only when status flips.
export type ConditionStatus = 'True' | 'False' | 'Unknown';

export type Condition = {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  lastTransitionTime: string;
};

export type ConditionInput = Omit<Condition, 'lastTransitionTime'>;

export function setCondition(conditions: Condition[], input: ConditionInput, now: number): Condition[] {
  const existing = conditions.find((c) => c.type === input.type);
  if (existing && existing.status === input.status && existing.reason === input.reason && existing.message === input.message) {
    return conditions;
  }
  const lastTransitionTime = existing && existing.status === input.status ? existing.lastTransitionTime : new Date(now).toISOString();
  const next = { ...input, lastTransitionTime };
  return existing ? conditions.map((c) => (c.type === input.type ? next : c)) : [...conditions, next];
}

export function getCondition(conditions: Condition[], type: string): Condition | undefined {
  return conditions.find((c) => c.type === type);
}
