/** The engine's own words for a failed call, without dockerode's "(HTTP code N) reason - " wrapper. */
export function engineMessage(err: unknown): string {
  if (err && typeof err === 'object') {
    const json = (err as { json?: unknown }).json;
    if (json && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string') {
      return (json as { message: string }).message.trim();
    }
    const message = (err as { message?: unknown }).message;
    if (typeof message === 'string') return message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
  }
  return String(err);
}

export function isNotFound(err: unknown): boolean {
  return !!err && typeof err === 'object' && (err as { statusCode?: number }).statusCode === 404;
}
