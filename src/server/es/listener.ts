/**
 * Elasticsearch-compatible ingest listener: log shippers configured for Elasticsearch (Beats,
 * Logstash, Vector, Fluent Bit, rsyslog, syslog-ng, the official clients) send to Vigil
 * unchanged. A separate Fastify instance serving `_bulk`, single-document indexing and the probes
 * shippers make first; every answer carries `X-Elastic-Product: Elasticsearch`.
 */
import { createGunzip, createInflate } from 'node:zlib';
import Fastify, { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { checkPermission } from '../plugins/auth.js';
import { ErrorCodes, VigilError } from '../../errors.js';
import type { JsonRecord } from '../../pipeline/ingest/service.js';
import type { Principal } from '../../auth/principal.js';
import type { ListenerContext, ListenerFactory, RunningListener } from '../../service/listener.js';
import {
  type BulkOperation,
  type BulkOutcome,
  type BulkResponse,
  bulkResponse,
  filterPath,
  parseBulk,
  parseSingle,
} from './bulk.js';
import { esError, newIdentity, notFound, registerProbes } from './probes.js';

const DEFAULT_INDEX = 'vigil';

/** Content types kept as a string body; anything else is accepted as well (curl's default, none). */
const BODY_TYPES = ['application/json', 'application/x-ndjson', 'text/plain'];
const VENDOR_TYPE = /^application\/vnd\.elasticsearch\+(x-ndjson|json)/i;
const VENDOR_ACCEPT = /application\/vnd\.elasticsearch\+json\s*;\s*compatible-with\s*=\s*(\d+)/i;
const VENDOR_CONTENT =
  /application\/vnd\.elasticsearch\+(?:x-)?(?:nd)?json\s*;\s*compatible-with\s*=\s*(\d+)/i;

/** The response media type: vendored when the request's Accept (else its Content-Type) asks. */
function responseType(req: FastifyRequest): string {
  const accept = req.headers.accept;
  const m =
    accept !== undefined
      ? VENDOR_ACCEPT.exec(accept)
      : VENDOR_CONTENT.exec(String(req.headers['content-type'] ?? ''));
  return m
    ? `application/vnd.elasticsearch+json; compatible-with=${m[1]}`
    : 'application/json; charset=UTF-8';
}

/** A decompressing stream that reports the compressed bytes read (Fastify checks them). */
function decompress(raw: NodeJS.ReadableStream, encoding: string): NodeJS.ReadableStream {
  const inflate = encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip() : createInflate();
  const counted = Object.assign(inflate, { receivedEncodedLength: 0 });
  raw.on('data', (chunk: Buffer) => {
    counted.receivedEncodedLength += chunk.length;
  });
  raw.on('error', (err) => inflate.destroy(err));
  return raw.pipe(inflate);
}

type Reply = FastifyReply;

function esReplyForError(err: unknown, reply: Reply, maxBodyBytes: number): Reply {
  const e = err as { code?: string; statusCode?: number; message?: string };
  if (
    err instanceof VigilError &&
    (err.code === ErrorCodes.BUSY.code || err.code === ErrorCodes.RATE_LIMITED.code)
  ) {
    return reply
      .code(429)
      .header('retry-after', String(err.retryAfterSeconds ?? 1))
      .send(esError(429, 'es_rejected_execution_exception', err.message));
  }
  if (err instanceof VigilError && (err.statusCode === 401 || err.statusCode === 403)) {
    // As Elasticsearch's security layer answers.
    if (err.statusCode === 401) void reply.header('www-authenticate', 'Basic realm="vigil", ApiKey');
    return reply.code(err.statusCode).send(esError(err.statusCode, 'security_exception', err.message));
  }
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || e.statusCode === 413) {
    const reason = `request body larger than ${maxBodyBytes} bytes`;
    return reply.code(413).send(esError(413, 'content_too_long_exception', reason));
  }
  const status =
    typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
  if (status === 500) reply.log.error({ err }, 'elasticsearch listener request failed');
  const type = status === 500 ? 'exception' : 'parse_exception';
  return reply
    .code(status)
    .send(esError(status, type, status === 500 ? 'internal error' : (e.message ?? 'bad request')));
}

/** Records to ingest for the operations, and where each operation's record sits (-1 = none). */
function recordsOf(ops: readonly BulkOperation[]): { records: JsonRecord[]; at: number[] } {
  const records: JsonRecord[] = [];
  const at = ops.map((op) => {
    if (op.kind === 'document') records.push({ line: op.sourceLine, text: op.text, value: op.value });
    else if (op.keep) records.push({ line: op.keep.line, text: op.keep.text, error: op.error.reason });
    else return -1;
    return records.length - 1;
  });
  return { records, at };
}

/**
 * Stores the operations' documents (and keeps their bad input as dead letters); builds the bulk
 * response ("Bulk API").
 * @throws VigilError `VIGIL_ERR_BUSY` when the ingest queue is full (nothing stored)
 */
async function store(
  ctx: ListenerContext,
  ops: readonly BulkOperation[],
  pathIndex: string | undefined,
  started: number,
  principal: Principal | null,
): Promise<BulkResponse> {
  const { records, at } = recordsOf(ops);
  if (principal) await ctx.ingestLimiter.take(`${principal.kind}:${principal.id}`, records.length);
  const result = records.length > 0 ? await ctx.ingest.ingestJson(records, 'es-bulk') : { items: [] };
  const outcomes = ops.map((op, n): BulkOutcome => {
    if (op.kind === 'failure') return { status: op.status, error: op.error };
    const item = result.items[at[n]!];
    if (item && 'id' in item) return { id: item.id };
    return { status: 400, error: { type: 'mapper_parsing_exception', reason: item?.error ?? 'not stored' } };
  });
  return bulkResponse(ops, outcomes, pathIndex ?? DEFAULT_INDEX, Date.now() - started);
}

/**
 * Starts the Elasticsearch-compatible listener on `port` (0 = any free port) at `host`.
 *
 * Endpoints: `POST|PUT /_bulk` and `/<index>/_bulk` (NDJSON, optionally gzip/deflate-encoded,
 * at most `config.maxBodyBytes` after decoding, else 413), `POST|PUT /<index>/_doc[/<id>]` and
 * `/<index>/_create/<id>`, and the probes of {@link registerProbes}. Stored records go through
 * `ingest.ingestJson(…, 'es-bulk')`; a full queue answers 429 with `Retry-After: 1`.
 * @returns the running listener, named `es`, with its bound port as `ports.http`
 * @throws the listen error (port in use, bad host)
 */
export const startEsListener: ListenerFactory = async (ctx, port, host): Promise<RunningListener> => {
  const limit = ctx.config.maxBodyBytes;
  const app = Fastify({
    loggerInstance: ctx.log.child({ listener: 'es' }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: limit,
    forceCloseConnections: 'idle',
  });
  const identity = newIdentity();
  let boundPort = port;

  app.removeAllContentTypeParsers();
  const keepString = (
    _req: FastifyRequest,
    body: string | Buffer,
    done: (err: Error | null, body?: unknown) => void,
  ) => done(null, body);
  for (const type of [...BODY_TYPES, VENDOR_TYPE]) {
    app.addContentTypeParser(type, { parseAs: 'string', bodyLimit: limit }, keepString);
  }
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: limit }, keepString);

  app.addHook('preParsing', async (req, _reply, payload) => {
    const encoding = String(req.headers['content-encoding'] ?? '')
      .toLowerCase()
      .trim();
    if (encoding === 'gzip' || encoding === 'x-gzip' || encoding === 'deflate')
      return decompress(payload, encoding);
    return payload;
  });
  app.addHook('preSerialization', async (req, reply, payload: unknown) => {
    if (reply.statusCode >= 300) return payload; // as Elasticsearch: errors are never filtered
    const spec = (req.query as Record<string, unknown> | undefined)?.filter_path;
    return typeof spec === 'string' && spec !== '' ? filterPath(payload, spec) : payload;
  });
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-elastic-product', 'Elasticsearch');
    const type = String(reply.getHeader('content-type') ?? '');
    if (type === '' || type.startsWith('application/json')) reply.header('content-type', responseType(req));
    return payload;
  });
  app.setErrorHandler((err, _req, reply) => esReplyForError(err, reply, limit));
  // Every endpoint, probes included, wants an API key with ingest:write (Elasticsearch asks for
  // credentials on `GET /` too): `ApiKey base64(id:secret)`, Basic id:secret, or Bearer.
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req) => {
    const principal = await ctx.auth.authenticate(req.headers.authorization, { basic: true });
    req.principal = checkPermission(principal, 'ingest:write');
  });
  app.setNotFoundHandler((req, reply) => notFound(req.method, req.url, reply));

  registerProbes(app, identity, () => `${host.includes(':') ? `[${host}]` : host}:${boundPort}`);

  const bulk = async (req: FastifyRequest, reply: Reply) => {
    const started = Date.now();
    const { index } = (req.params ?? {}) as { index?: string };
    const ops = parseBulk(typeof req.body === 'string' ? req.body : '');
    if (ops.length === 0) {
      const reason = 'Validation Failed: 1: no requests added;';
      return reply.code(400).send(esError(400, 'action_request_validation_exception', reason));
    }
    return reply.send(await store(ctx, ops, index, started, req.principal));
  };
  for (const url of ['/_bulk', '/:index/_bulk']) {
    app.post(url, bulk);
    app.put(url, bulk);
  }

  // Single documents ("Index API"): rsyslog without bulk mode, scripts.
  const single = async (req: FastifyRequest, reply: Reply) => {
    const { index, id } = req.params as { index: string; id?: string };
    const action = req.url.includes('/_create/') ? 'create' : 'index';
    const op = parseSingle(action, index, id, typeof req.body === 'string' ? req.body : '');
    const item = (await store(ctx, [op], index, Date.now(), req.principal)).items[0]![action]!;
    const { status, error, ...rest } = item as { status: number; error?: { type: string; reason: string } };
    if (error) return reply.code(status).send(esError(status, error.type, error.reason));
    return reply.code(status).send(rest);
  };
  for (const url of ['/:index/_doc', '/:index/_doc/:id', '/:index/_create/:id']) {
    app.post(url, single);
    app.put(url, single);
  }

  try {
    await app.listen({ port, host });
  } catch (err) {
    await app.close();
    throw err;
  }
  const address = app.server.address();
  boundPort = typeof address === 'object' && address !== null ? address.port : port;
  return {
    name: 'es',
    ports: { http: boundPort },
    close: () => app.close(),
  };
};
