export * from './ical.ts';
export * from './feed-token.ts';
