/**
 * One error shape for every route: RFC 9457 problem details (`application/problem+json`) with
 * Vigil's stable `code`. Client errors explain what to fix; server errors carry only the request
 * id (the cause is logged, never sent).
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ErrorCodes, VigilError } from '../../errors.js';

/** The problem body. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance?: string;
  /** Per-field or per-line validation problems. */
  errors?: readonly unknown[];
}

const FASTIFY_CODES: Record<string, { code: string; status: number }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: ErrorCodes.PAYLOAD_TOO_LARGE.code, status: 413 },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: ErrorCodes.UNSUPPORTED_MEDIA_TYPE.code, status: 415 },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: ErrorCodes.BAD_REQUEST.code, status: 400 },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: ErrorCodes.BAD_REQUEST.code, status: 400 },
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Builds a problem body. */
export function problem(status: number, code: string, detail: string, extra: Partial<Problem> = {}): Problem {
  return { type: 'about:blank', title: TITLES[status] ?? 'Error', status, code, detail, ...extra };
}

async function errorsPlugin(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((err: FastifyError | VigilError, request, reply) => {
    let body: Problem;
    if (err instanceof VigilError) {
      body = problem(err.statusCode, err.code, err.message);
      if (err.statusCode === 429 || err.statusCode === 503)
        void reply.header('retry-after', String(err.retryAfterSeconds ?? 1));
      if (err.statusCode === 401) void reply.header('www-authenticate', 'Bearer realm="vigil"');
    } else if ('validation' in err && err.validation) {
      body = problem(400, ErrorCodes.BAD_REQUEST.code, err.message, {
        errors: err.validation.map((v) => ({ path: v.instancePath, message: v.message })),
      });
    } else if (err.code && FASTIFY_CODES[err.code]) {
      const m = FASTIFY_CODES[err.code]!;
      body = problem(m.status, m.code, err.message);
    } else if (typeof err.statusCode === 'number' && err.statusCode < 500) {
      body = problem(err.statusCode, ErrorCodes.BAD_REQUEST.code, err.message);
    } else {
      request.log.error({ err }, 'request failed');
      body = problem(500, ErrorCodes.INTERNAL.code, `internal error (request ${request.id})`);
    }
    if (body.status >= 500 && body.code !== ErrorCodes.INTERNAL.code)
      request.log.error({ err }, 'request failed');
    void reply
      .status(body.status)
      .type('application/problem+json')
      .send({ ...body, instance: request.url });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .type('application/problem+json')
      .send(
        problem(
          404,
          ErrorCodes.NOT_FOUND.code,
          `route ${request.method} ${request.url.split('?')[0]} not found`,
        ),
      );
  });
}

export default fp(errorsPlugin, { name: 'vigil-errors' });
