// The clock port: the one place the controller reads time, so tests can control it.
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };
