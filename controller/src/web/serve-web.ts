// Serves the dashboard from the API's origin: static HTML/CSS and the TypeScript app as one script.
// A build (`npm run build`) bundles the app ahead of time into static/app.js next to its own
// bundles; from sources, esbuild bundles it once, on first request, then it is cached in memory.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { BUILD } from '@berth/proto/build-info';

const HERE = path.dirname(fileURLToPath(import.meta.url));

let bundle: Promise<string> | undefined;

/** The dashboard's script as one IIFE; exported so a build step or test can produce it too. */
export async function bundleDashboard(): Promise<string> {
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [path.join(HERE, 'app/main.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2020',
    minify: true,
    sourcemap: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0].text;
}

// frame-ancestors 'none' (and X-Frame-Options for older browsers): no other site may frame the
// dashboard and trick a logged-in admin into clicking Drain (clickjacking).
export const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-frame-options': 'DENY',
};

export function registerWebRoutes(app: FastifyInstance): void {
  const page = async (_req: unknown, reply: import('fastify').FastifyReply) =>
    reply
      .headers({ ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' })
      .send(await readFile(path.join(HERE, 'static/index.html'), 'utf8'));
  app.get('/', page);
  app.get('/ui', page);
  app.get('/ui/app.js', async (_req, reply) => {
    bundle ??= (BUILD ? readFile(path.join(HERE, 'static/app.js'), 'utf8') : bundleDashboard()).catch((err) => {
      bundle = undefined;
      throw err;
    });
    return reply.headers({ ...SECURITY_HEADERS, 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }).send(await bundle);
  });
  app.get('/ui/app.css', async (_req, reply) =>
    reply
      .headers({ ...SECURITY_HEADERS, 'content-type': 'text/css; charset=utf-8', 'cache-control': 'no-cache' })
      .send(await readFile(path.join(HERE, 'static/app.css'), 'utf8')),
  );
  // The page names /ui/favicon.svg; /favicon.ico is what browsers and other clients ask for
  // without a page (an SVG there too: Chromium and Firefox go by the content type).
  const favicon = async (_req: unknown, reply: import('fastify').FastifyReply) =>
    reply
      .headers({ ...SECURITY_HEADERS, 'content-type': 'image/svg+xml', 'cache-control': 'max-age=86400' })
      .send(await readFile(path.join(HERE, 'static/favicon.svg'), 'utf8'));
  app.get('/ui/favicon.svg', favicon);
  app.get('/favicon.ico', favicon);
  app.get('/ui/*', page);
}
