/**
 * `app.inject` for JSON APIs: the status, the parsed body (`{raw}` when it is not JSON) and the
 * headers. Real Fastify request handling, no network.
 */
import type { FastifyInstance } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface JsonResponse {
  readonly status: number;
  readonly body: Json;
  readonly headers: IncomingHttpHeaders;
}

/**
 * @param app - read when called (tests assign it in `beforeAll`)
 * @param authorization - default `Authorization` header, read when called (a request's own
 *   `authorization` header wins; pass `''` there to call anonymously)
 */
export function jsonCaller(
  app: () => FastifyInstance,
  authorization: () => string | undefined = () => undefined,
) {
  return async (
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ): Promise<JsonResponse> => {
    const auth = authorization();
    const all: Record<string, string> =
      auth !== undefined ? { authorization: auth, ...headers } : { ...headers };
    if (all.authorization === '') delete all.authorization;
    const r = await app().inject({
      method,
      url,
      headers: all,
      ...(payload === undefined ? {} : { payload: payload as string }),
    });
    let body: Json;
    try {
      body = r.body ? (JSON.parse(r.body) as Json) : {};
    } catch {
      body = { raw: r.body };
    }
    return { status: r.statusCode, body, headers: r.headers as IncomingHttpHeaders };
  };
}
