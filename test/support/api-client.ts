// Minimal REST client for tests: returns status and parsed body, never throws on 4xx/5xx. Over
// HTTPS it verifies the server against the controller's CA, as the CLI does.
import { trustOptions } from './trust.ts';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
}

export class ApiClient {
  constructor(
    readonly url: string,
    readonly token: string,
    readonly ca?: string,
  ) {}

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const init: RequestInit = { method, headers: { authorization: `Bearer ${this.token}`, ...headers }, ...(await trustOptions(this.ca)) } as RequestInit;
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${this.url}${path}`, init);
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  apply(manifest: unknown) {
    return this.request('POST', '/api/v1/apply', manifest);
  }
  get(plural: string, name: string) {
    return this.request('GET', `/api/v1/${plural}/${name}`);
  }
  list(plural: string) {
    return this.request('GET', `/api/v1/${plural}`);
  }
  delete(plural: string, name: string) {
    return this.request('DELETE', `/api/v1/${plural}/${name}`);
  }
}
