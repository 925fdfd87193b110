/**
 * Elasticsearch bulk bodies, as pure functions: NDJSON → per-item operations, per-item results →
 * the bulk response, and the `filter_path` response filter. Follows the Elasticsearch reference,
 * "Document APIs › Bulk API" (`POST /_bulk`) and "REST APIs › API conventions › Common options ›
 * Response filtering".
 */

/** The four bulk actions. */
export type BulkAction = 'index' | 'create' | 'delete' | 'update';

const ACTIONS: ReadonlySet<string> = new Set<BulkAction>(['index', 'create', 'delete', 'update']);

/** An Elasticsearch error object (`error` in a bulk item or in an error response). */
export interface EsErrorCause {
  readonly type: string;
  readonly reason: string;
}

/** An `index` or `create` item whose source line is a JSON object. */
export interface BulkDocument {
  readonly kind: 'document';
  readonly action: 'index' | 'create';
  /** 1-based line of the action/metadata line. */
  readonly line: number;
  readonly index: string | undefined;
  readonly id: string | undefined;
  /** 1-based line of the source. */
  readonly sourceLine: number;
  /** The source line as received. */
  readonly text: string;
  readonly value: Record<string, unknown>;
}

/** An item that fails on its own; the rest of the request goes on. */
export interface BulkFailure {
  readonly kind: 'failure';
  /** Response key: the action, or `index` when the action line could not be read. */
  readonly action: BulkAction;
  readonly line: number;
  readonly index: string | undefined;
  readonly id: string | undefined;
  readonly status: 400;
  readonly error: EsErrorCause;
  /** Received text worth keeping as a dead letter (bad source, unreadable action), and its line. */
  readonly keep?: { readonly line: number; readonly text: string };
}

export type BulkOperation = BulkDocument | BulkFailure;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

type Action = { action: BulkAction; index: string | undefined; id: string | undefined };

/** Reads an action/metadata line: `{"index": {"_index": "…", "_id": "…"}}`. */
function readAction(text: string, line: number): Action | { error: string } {
  const parsed = parseJson(text);
  if ('error' in parsed) return { error: `Malformed action/metadata line [${line}]: ${parsed.error}` };
  const v = parsed.value;
  if (!isObject(v)) return { error: `Malformed action/metadata line [${line}], expected START_OBJECT` };
  const keys = Object.keys(v);
  if (keys.length !== 1 || !ACTIONS.has(keys[0]!)) {
    return {
      error: `Malformed action/metadata line [${line}], expected one of [create, delete, index, update] but found [${keys.join(', ')}]`,
    };
  }
  const action = keys[0] as BulkAction;
  const meta = v[action];
  if (meta !== null && meta !== undefined && !isObject(meta)) {
    return { error: `Malformed action/metadata line [${line}], expected START_OBJECT after [${action}]` };
  }
  const index = typeof meta?._index === 'string' && meta._index !== '' ? meta._index : undefined;
  const rawId = meta?._id;
  const id =
    typeof rawId === 'string' && rawId !== ''
      ? rawId
      : typeof rawId === 'number' && Number.isFinite(rawId)
        ? String(rawId)
        : undefined;
  return { action, index, id };
}

const blank = (s: string): boolean => s.trim() === '';

/**
 * Parses an NDJSON bulk body. Never throws: a malformed action line or source becomes a
 * {@link BulkFailure} (status 400) and the items after it still parse. Blank lines between items
 * are skipped, `\r\n` line ends accepted, and the final newline is optional.
 *
 * - `index`/`create`: the next line is the source; it must be a JSON object.
 * - `delete`: no source line; refused (Vigil is append-only).
 * - `update`: the next line is the partial document; refused (Vigil is append-only).
 * - An unreadable action line also takes the next line, unless that line is itself a valid action.
 */
export function parseBulk(body: string): BulkOperation[] {
  const lines = body.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const ops: BulkOperation[] = [];
  let i = 0;
  while (i < lines.length) {
    const text = lines[i]!;
    const line = i + 1;
    i++;
    if (blank(text)) continue;
    const act = readAction(text, line);
    if ('error' in act) {
      const next = lines[i];
      let keep = { line, text };
      if (next !== undefined && !blank(next) && 'error' in readAction(next, i + 1)) {
        keep = { line, text: `${text}\n${next}` };
        i++;
      }
      ops.push(failure('index', line, undefined, undefined, 'illegal_argument_exception', act.error, keep));
      continue;
    }
    const { action, index, id } = act;
    if (action === 'delete' || action === 'update') {
      if (action === 'update' && i < lines.length) i++;
      const reason = `Validation Failed: 1: Vigil is append-only; [${action}] is not supported;`;
      ops.push(failure(action, line, index, id, 'action_request_validation_exception', reason));
      continue;
    }
    const source = lines[i];
    const sourceLine = i + 1;
    if (source === undefined || blank(source)) {
      if (source !== undefined) i++;
      const reason = `Validation Failed: 1: source is missing (line ${line});`;
      ops.push(failure(action, line, index, id, 'action_request_validation_exception', reason));
      continue;
    }
    i++;
    const parsed = parseJson(source);
    if ('error' in parsed || !isObject(parsed.value)) {
      const why = 'error' in parsed ? parsed.error : 'the source is not a JSON object';
      const reason = `failed to parse line [${sourceLine}]: ${why}`;
      const keep = { line: sourceLine, text: source };
      ops.push(failure(action, line, index, id, 'mapper_parsing_exception', reason, keep));
      continue;
    }
    ops.push({ kind: 'document', action, line, index, id, sourceLine, text: source, value: parsed.value });
  }
  return ops;
}

/**
 * One document of the single-document APIs (`PUT /<index>/_doc/<id>`, "Index API"): the body is
 * the whole source, and may span lines.
 */
export function parseSingle(
  action: 'index' | 'create',
  index: string,
  id: string | undefined,
  body: string,
): BulkOperation {
  if (blank(body)) {
    return failure(
      action,
      1,
      index,
      id,
      'action_request_validation_exception',
      'Validation Failed: 1: source is missing;',
    );
  }
  const parsed = parseJson(body);
  if ('error' in parsed || !isObject(parsed.value)) {
    const reason = `failed to parse: ${'error' in parsed ? parsed.error : 'the source is not a JSON object'}`;
    return failure(action, 1, index, id, 'mapper_parsing_exception', reason, { line: 1, text: body });
  }
  return { kind: 'document', action, line: 1, index, id, sourceLine: 1, text: body, value: parsed.value };
}

function failure(
  action: BulkAction,
  line: number,
  index: string | undefined,
  id: string | undefined,
  type: string,
  reason: string,
  keep?: { line: number; text: string },
): BulkFailure {
  return {
    kind: 'failure',
    action,
    line,
    index,
    id,
    status: 400,
    error: { type, reason },
    ...(keep ? { keep } : {}),
  };
}

/** What storing a {@link BulkOperation} came to: the stored event id, or why it was refused. */
export type BulkOutcome = { readonly id: number } | { readonly status: number; readonly error: EsErrorCause };

/** One item of a bulk response, keyed by its action. */
export type BulkResponseItem = Partial<Record<BulkAction, Record<string, unknown>>>;

/** The bulk response body: `{took, errors, items}`. */
export interface BulkResponse {
  readonly took: number;
  readonly errors: boolean;
  readonly items: BulkResponseItem[];
}

/**
 * Builds the bulk response in Elasticsearch's format. `_id` is the one given, else the stored
 * event id; `_index` the one given, else `defaultIndex`; `_seq_no` is the stored event id.
 * @param outcomes - one per operation, same order
 */
export function bulkResponse(
  ops: readonly BulkOperation[],
  outcomes: readonly BulkOutcome[],
  defaultIndex: string,
  took: number,
): BulkResponse {
  let errors = false;
  const items = ops.map((op, n): BulkResponseItem => {
    const outcome = outcomes[n]!;
    const _index = op.index ?? defaultIndex;
    if ('id' in outcome) {
      const _id = op.id ?? String(outcome.id);
      return {
        [op.action]: {
          _index,
          _id,
          _version: 1,
          result: 'created',
          _shards: { total: 1, successful: 1, failed: 0 },
          _seq_no: outcome.id,
          _primary_term: 1,
          status: 201,
        },
      };
    }
    errors = true;
    const error = { ...outcome.error, index: _index };
    return {
      [op.action]: { _index, ...(op.id !== undefined ? { _id: op.id } : {}), status: outcome.status, error },
    };
  });
  return { took, errors, items };
}

/** Does one `filter_path` segment (`*` = any run of characters) match a key? */
function segmentMatches(pattern: string, key: string): boolean {
  if (pattern === '*' || pattern === key) return true;
  if (!pattern.includes('*')) return false;
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(key);
}

function filterValue(value: unknown, patterns: readonly (readonly string[])[]): unknown {
  if (patterns.some((p) => p.length === 0)) return value;
  if (Array.isArray(value)) {
    const kept = value.map((v) => filterValue(v, patterns)).filter((v) => v !== undefined);
    return kept.length > 0 ? kept : undefined;
  }
  if (!isObject(value)) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const next: (readonly string[])[] = [];
    for (const p of patterns) {
      const [head, ...rest] = p;
      if (head === '**') {
        next.push(p);
        if (rest.length > 0 && segmentMatches(rest[0]!, key)) next.push(rest.slice(1));
        if (rest.length === 0) next.push([]);
      } else if (segmentMatches(head!, key)) next.push(rest);
    }
    if (next.length === 0) continue;
    const kept = filterValue(v, next);
    if (kept !== undefined) out[key] = kept;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Applies an Elasticsearch `filter_path` (comma-separated dotted paths, `*` and `**` wildcards;
 * arrays are traversed transparently) to a response body. Exclusions (`-path`) are not supported
 * and are ignored; when only exclusions are given the body is returned whole. A body with nothing
 * left becomes `{}`, as Elasticsearch answers.
 */
export function filterPath(body: unknown, spec: string): unknown {
  const patterns = spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '' && !s.startsWith('-'))
    .map((s) => s.split('.'));
  if (patterns.length === 0) return body;
  return filterValue(body, patterns) ?? {};
}
