export * from './context.ts';
export * from './admission.ts';
export * from './images.ts';
export * from './reservations.ts';
export * from './nodes.ts';
export * from './events.ts';
