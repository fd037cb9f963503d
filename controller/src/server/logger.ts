import pino, { type DestinationStream, type Logger } from 'pino';

// Secrets never reach the log, wherever they appear in a logged object.
export const REDACT_PATHS = [
  'token',
  'joinToken',
  'password',
  'passwordHash',
  'authorization',
  'secret',
  '*.token',
  '*.joinToken',
  '*.password',
  '*.passwordHash',
  '*.authorization',
  '*.secret',
  'req.headers.authorization',
  'headers.authorization',
];

export function createLogger(opts: { level?: string; name?: string; destination?: DestinationStream } = {}): Logger {
  const options = {
    name: opts.name ?? 'berth-controller',
    level: opts.level ?? process.env.BERTH_LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
