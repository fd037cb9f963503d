import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { parse as parseYaml } from 'yaml';
import type { Logger } from 'pino';
import { BerthError } from '../errors/index.ts';
import type { ServiceContext } from '../services/index.ts';
import { errorHandler } from './error-handler.ts';
import { registerRoutes } from './routes.ts';
import { type InstallRouteOptions, registerInstallRoutes } from './routes-install.ts';

/**
 * `tls` (key and certificate chain) makes it an HTTPS server; the API never mixes the two.
 * `install` serves the one-line node join (/install/...).
 */
export function buildServer(
  ctx: ServiceContext,
  log: Logger,
  ready: () => boolean,
  tls?: { cert: string; key: string },
  install?: InstallRouteOptions,
): FastifyInstance {
  const app = Fastify({
    ...(tls ? { https: { cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' as const } } : {}),
    loggerInstance: log.child({ component: 'api' }) as FastifyBaseLogger,
    bodyLimit: ctx.config.bodyLimitBytes,
    // The option itself at the top level is deprecated (FSTDEP023, a warning at every start).
    logController: new LogController({ disableRequestLogging: true }),
  }) as unknown as FastifyInstance; // the HTTPS flavour differs only in its server type
  // Manifests may be posted as YAML as well as JSON (curl --data-binary @file.yaml).
  app.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml'], { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseYaml(body as string));
    } catch (err) {
      done(new BerthError('Invalid', `malformed YAML: ${(err as Error).message.split('\n')[0].replace(/:\s*$/, '')}`) as never, undefined);
    }
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => {
    const err = new BerthError('NotFound', `no route ${req.method} ${req.url.split('?')[0]}`);
    return reply.status(404).send(err.toBody());
  });
  registerRoutes(app, ctx, ready);
  if (install) registerInstallRoutes(app, install);
  return app;
}
