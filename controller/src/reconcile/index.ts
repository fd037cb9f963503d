export * from './conditions.ts';
export * from './reservation-plan.ts';
export * from './desired-containers.ts';
export * from './loop.ts';
export * from './reservation-reconciler.ts';
export * from './node-reconciler.ts';
export * from './plan-node-loss.ts';
export * from './evacuate-node.ts';
