// The controller's one error catalog: stable codes, their HTTP status and CLI exit code.
// API handlers throw BerthError; the HTTP layer and the CLI translate through this table only.

export const ERRORS = {
  Invalid: { http: 400, exit: 2 }, // bad manifest, field or flag
  PayloadTooLarge: { http: 413, exit: 2 },
  Unauthenticated: { http: 401, exit: 3 },
  Forbidden: { http: 403, exit: 3 },
  NotFound: { http: 404, exit: 4 },
  Conflict: { http: 409, exit: 5 }, // name taken, concurrent update
  NoResources: { http: 409, exit: 6 }, // admission refused: no node fits the window
  QuotaExceeded: { http: 403, exit: 6 },
  TooManyRequests: { http: 429, exit: 7 },
  Unavailable: { http: 503, exit: 8 }, // server unreachable or not ready
  Untrusted: { http: 502, exit: 9 }, // the CLI cannot verify the server's certificate (never sent by the API)
  Internal: { http: 500, exit: 1 },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string; details?: unknown };
}

// The build loads the CLI and the server it starts (`berth controller`, `berth dev`) from two
// bundles, each with its own copy of this class: the mark lets `instanceof BerthError` in one
// recognise an error made by the other. Subclasses keep the ordinary prototype check.
const MARK = Symbol.for('berth.BerthError');

export class BerthError extends Error {
  readonly [MARK] = true;

  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class right of instanceof, maybe a subclass
    if (this !== BerthError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARK] === true;
  }

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'BerthError';
  }

  get httpStatus(): number {
    return ERRORS[this.code].http;
  }

  toBody(): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, message: this.message };
    if (this.field !== undefined) error.field = this.field;
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && value in ERRORS;
}

export function exitCodeFor(code: ErrorCode): number {
  return ERRORS[code].exit;
}
