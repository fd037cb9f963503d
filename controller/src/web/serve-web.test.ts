import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { registerWebRoutes } from './serve-web.ts';

const app = Fastify();
registerWebRoutes(app);
afterAll(() => app.close());

describe('dashboard pages', () => {
  it.each(['/', '/ui', '/ui/reservations', '/ui/app.css'])('%s may not be framed by another site', async (url) => {
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(200);
    const csp = String(res.headers['content-security-policy']);
    expect(csp.split(';').map((d) => d.trim())).toContain("frame-ancestors 'none'");
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('favicon', () => {
  it.each(['/favicon.ico', '/ui/favicon.svg'])('%s answers 200 with an SVG image', async (url) => {
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/svg+xml');
    expect(res.body).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  });

  it('is named by the page', async () => {
    expect((await app.inject({ method: 'GET', url: '/' })).body).toContain('<link rel="icon" type="image/svg+xml" href="/ui/favicon.svg">');
  });
});

describe('dashboard script', () => {
  it('serves the app bundled into one script, with the same headers as the pages', async () => {
    const res = await app.inject({ method: 'GET', url: '/ui/app.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.body.length).toBeGreaterThan(1000);
    // One IIFE that parses as a classic script (which is how the page loads it): nothing left to import.
    expect(res.body).not.toMatch(/^\s*import\s/m);
    expect(() => new Function(res.body)).not.toThrow();
  });
});
