export * from './record-event.ts';
export * from './event-recorder.ts';
