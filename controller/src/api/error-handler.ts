// Every failure leaves the API as the catalog's { error: { code, message, field? } } body, with
// the catalog's status; unexpected errors are logged and answered without internals, and a
// refused admission is told to a customer without other nodes' and tenants' details.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { BerthError } from '../errors/index.ts';
import { admissionErrorFor } from '../services/admission-errors.ts';
import type { User } from '../store/generated/postgresql/client.ts';

export function toBerthError(err: FastifyError | Error): BerthError {
  if (err instanceof BerthError) return err;
  const fe = err as FastifyError;
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new BerthError('PayloadTooLarge', 'request body is too large');
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new BerthError('Invalid', 'unsupported content type: send application/json or application/yaml');
  if (fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return new BerthError('Invalid', 'request body is empty');
  if (fe.statusCode === 400 || err instanceof SyntaxError) return new BerthError('Invalid', `malformed request body: ${err.message}`);
  if (fe.statusCode === 404) return new BerthError('NotFound', err.message);
  return new BerthError('Internal', 'internal error; see the controller log');
}

export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  // request.user is set inside the authenticated scope only; anyone else is no admin.
  const berth = admissionErrorFor(toBerthError(err), (request as { user?: User | null }).user);
  if (berth.code === 'Internal') request.log.error({ err }, 'request failed');
  return reply.status(berth.httpStatus).send(berth.toBody());
}
