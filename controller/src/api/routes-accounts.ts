// Accounts, quotas, bills and extension. Signup and login are public (registered outside the
// authenticated scope); everything else runs behind the bearer-token hook.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { BerthError } from '../errors/index.ts';
import { LoginLimiter, SignupLimiter, login, logout, signup } from '../auth/index.ts';
import * as svc from '../services/index.ts';

async function withRetryAfter<T>(reply: FastifyReply, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const retry = err instanceof BerthError ? (err.details as { retryAfterS?: number } | undefined)?.retryAfterS : undefined;
    if (retry !== undefined) reply.header('retry-after', String(retry));
    throw err;
  }
}

/** POST /api/v1/auth/signup and /api/v1/auth/login (no token needed). */
export function registerPublicAuthRoutes(app: FastifyInstance, ctx: svc.ServiceContext): void {
  const limiter = new LoginLimiter(ctx.config.accounts.loginLimit);
  const ttl = () => ctx.config.accounts.tokenTtlMs;
  const signups = new SignupLimiter(ctx.config.accounts.signupLimit);
  app.post('/signup', async (req, reply) =>
    reply.status(201).send(await withRetryAfter(reply, () => signup(ctx.db, signups, req.body, req.ip, ttl(), ctx.clock.now()))),
  );
  app.post('/login', async (req, reply) => withRetryAfter(reply, () => login(ctx.db, limiter, req.body, req.ip, ttl(), ctx.clock.now())));
}

type Name = { Params: { name: string } };
type MonthQuery = { Querystring: { month?: string; user?: string } };

/** Authenticated routes; `api` is the /api/v1 scope whose hook sets req.user. */
export function registerAccountRoutes(api: FastifyInstance, ctx: svc.ServiceContext): void {
  api.get('/auth/whoami', async (req) => svc.renderUser(ctx, req.user));
  api.post('/auth/logout', async (req) => {
    await logout(ctx.db, req.headers.authorization, ctx.clock.now());
    ctx.principals?.forgetAll(); // the store's notice follows, but this answer must not race it
    return { status: 'logged out' };
  });

  api.get('/users', async (req) => ({ apiVersion: 'berth/v1', kind: 'UserList', items: await svc.listUsers(ctx, req.user) }));
  api.get<Name>('/users/:name', async (req) => svc.getUser(ctx, req.user, req.params.name));
  api.put<Name>('/users/:name/quota', async (req) => svc.setQuota(ctx, req.user, req.params.name, req.body));

  api.get<MonthQuery>('/bill', async (req) => svc.getStatement(ctx, req.user, { month: req.query.month, username: req.query.user }));
  api.get<MonthQuery>('/bills', async (req) => svc.listStatements(ctx, req.user, { month: req.query.month }));

  api.post<Name>('/reservations/:name/extend', async (req) => svc.extendReservation(ctx, req.user, req.params.name, req.body));
}
