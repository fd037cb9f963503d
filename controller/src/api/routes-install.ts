// The one-line node join: GET /install/agent.sh (the installer, with this controller's values in)
// and GET /install/berth-agent.tar.gz (the agent it downloads). Unauthenticated like k3s's: the join
// token the operator passes to the script is the secret, and neither answer holds one (the CA and
// the agent-stream fingerprint are public; keys, tokens and paths never go in). Both routes are
// fixed names, so no request can reach another file.
import type { FastifyInstance } from 'fastify';
import { BUILD } from '@berth/proto/build-info';
import { type AgentBundleSource, BUNDLE_NAME, renderInstallScript, requestOrigin } from '../install/index.ts';

export interface InstallRouteOptions {
  source: AgentBundleSource;
  /** The agent endpoint's port, known once it listens. */
  grpcPort: () => number;
  /** SHA-256 of the agent-stream certificate (the K10 part of join tokens). */
  fingerprint: string;
  /** The CA of the API's certificate, when it has one to pin. */
  caPem?: string;
  version?: string;
}

export function registerInstallRoutes(app: FastifyInstance, opts: InstallRouteOptions): void {
  app.get('/install/agent.sh', async (req, reply) => {
    const { apiUrl, host } = requestOrigin(req.protocol, req.headers.host);
    const [bundle, template] = await Promise.all([opts.source.bundle(), opts.source.scriptTemplate()]);
    const script = renderInstallScript(template, {
      version: opts.version ?? BUILD?.version ?? '0.0.0-source',
      apiUrl,
      controllerHost: host,
      grpcPort: opts.grpcPort(),
      fingerprint: opts.fingerprint,
      bundleSha256: bundle.sha256,
      caPem: opts.caPem ?? '',
    });
    return reply.type('text/x-shellscript; charset=utf-8').header('cache-control', 'no-store').send(script);
  });
  app.get(`/install/${BUNDLE_NAME}`, async (_req, reply) => {
    const bundle = await opts.source.bundle();
    return reply.type('application/gzip').header('cache-control', 'no-store').header('x-content-sha256', bundle.sha256).send(bundle.bytes);
  });
}
