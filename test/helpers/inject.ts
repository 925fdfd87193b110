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

/** @param app - read when called (tests assign it in `beforeAll`) */
export function jsonCaller(app: () => FastifyInstance) {
  return async (
    method: 'GET' | 'POST' | 'PATCH',
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ): Promise<JsonResponse> => {
    const r = await app().inject({
      method,
      url,
      headers,
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
