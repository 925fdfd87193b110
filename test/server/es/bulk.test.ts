import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BulkDocument,
  type BulkFailure,
  bulkResponse,
  filterPath,
  parseBulk,
  parseSingle,
} from '../../../src/server/es/bulk.js';

const doc = (v: unknown) => JSON.stringify(v);

describe('parseBulk', () => {
  it('pairs index and create actions with their sources, with line numbers and metadata', () => {
    const body = [
      doc({ index: { _index: 'logs', _id: 'a1' } }),
      doc({ msg: 'one' }),
      doc({ create: {} }),
      doc({ msg: 'two' }),
      doc({ index: { _id: 7 } }),
      doc({ msg: 'three' }),
      '',
    ].join('\n');
    const ops = parseBulk(body) as BulkDocument[];
    expect(ops.map((o) => [o.kind, o.action, o.line, o.sourceLine, o.index, o.id])).toEqual([
      ['document', 'index', 1, 2, 'logs', 'a1'],
      ['document', 'create', 3, 4, undefined, undefined],
      ['document', 'index', 5, 6, undefined, '7'],
    ]);
    expect(ops[1]!.value).toEqual({ msg: 'two' });
    expect(ops[0]!.text).toBe('{"msg":"one"}');
  });

  it('skips blank lines between items, accepts CRLF and a missing final newline', () => {
    const body = `\n${doc({ index: {} })}\r\n${doc({ a: 1 })}\r\n\n   \n${doc({ create: null })}\n${doc({ b: 2 })}`;
    const ops = parseBulk(body) as BulkDocument[];
    expect(ops.map((o) => [o.kind, o.line, o.sourceLine, o.text])).toEqual([
      ['document', 2, 3, '{"a":1}'],
      ['document', 6, 7, '{"b":2}'],
    ]);
  });

  it('turns a malformed action line into an item error and goes on', () => {
    const body = ['{"index": {', doc({ lost: true }), doc({ index: {} }), doc({ kept: true })].join('\n');
    const ops = parseBulk(body);
    expect(ops).toHaveLength(2);
    const bad = ops[0] as BulkFailure;
    expect(bad).toMatchObject({ kind: 'failure', action: 'index', line: 1, status: 400 });
    expect(bad.error.type).toBe('illegal_argument_exception');
    expect(bad.error.reason).toMatch(/Malformed action\/metadata line \[1\]/);
    // The unreadable action and the source it took are kept for the dead letter.
    expect(bad.keep).toEqual({ line: 1, text: `{"index": {\n${doc({ lost: true })}` });
    expect(ops[1]).toMatchObject({ kind: 'document', line: 3, value: { kept: true } });
  });

  it('does not swallow a following valid action after an unknown action', () => {
    const ops = parseBulk([doc({ upsert: {} }), doc({ index: {} }), doc({ x: 1 })].join('\n'));
    expect(ops.map((o) => o.kind)).toEqual(['failure', 'document']);
    expect((ops[0] as BulkFailure).error.reason).toMatch(/expected one of \[create, delete, index, update\]/);
    expect((ops[0] as BulkFailure).keep).toEqual({ line: 1, text: doc({ upsert: {} }) });
  });

  it('reports a source that is not JSON, or not an object, and keeps its text', () => {
    const ops = parseBulk(
      [doc({ index: {} }), '{oops', doc({ index: {} }), '[1,2]', doc({ index: {} }), '42'].join('\n'),
    );
    expect(ops.map((o) => o.kind)).toEqual(['failure', 'failure', 'failure']);
    for (const [n, o] of (ops as BulkFailure[]).entries()) {
      expect(o.error.type).toBe('mapper_parsing_exception');
      expect(o.keep?.line).toBe(2 * n + 2);
    }
    expect((ops[1] as BulkFailure).keep?.text).toBe('[1,2]');
    expect((ops[2] as BulkFailure).error.reason).toMatch(/not a JSON object/);
  });

  it('refuses delete (no source line) and update (with its doc line): append-only', () => {
    const body = [
      doc({ delete: { _index: 'x', _id: '1' } }),
      doc({ update: { _id: '2' } }),
      doc({ doc: { a: 1 } }),
      doc({ index: {} }),
      doc({ a: 2 }),
    ].join('\n');
    const ops = parseBulk(body);
    expect(ops.map((o) => [o.kind, o.action, o.line])).toEqual([
      ['failure', 'delete', 1],
      ['failure', 'update', 2],
      ['document', 'index', 4],
    ]);
    expect((ops[0] as BulkFailure).error).toMatchObject({ type: 'action_request_validation_exception' });
    expect((ops[1] as BulkFailure).error.reason).toMatch(/append-only/);
    expect((ops[0] as BulkFailure).keep).toBeUndefined();
  });

  it('reports an index action without a source', () => {
    const ops = parseBulk(doc({ index: { _id: 'z' } }));
    expect(ops).toEqual([expect.objectContaining({ kind: 'failure', id: 'z', status: 400 })]);
    expect((ops[0] as BulkFailure).error.reason).toMatch(/source is missing/);
  });

  it('returns nothing for an empty or blank body', () => {
    expect(parseBulk('')).toEqual([]);
    expect(parseBulk('\n \r\n\n')).toEqual([]);
  });

  it('never throws, and every operation has a line inside the body (fast-check)', () => {
    const line = fc.oneof(
      fc.string(),
      fc.json(),
      fc.constantFrom('{"index":{}}', '{"create":{"_id":"x"}}', '{"delete":{}}', '{"update":{}}', '', '\r'),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(line).map((ls) => ls.join('\n')),
        ),
        (body) => {
          const ops = parseBulk(body);
          const count = body.split('\n').length;
          for (const o of ops) {
            expect(o.line).toBeGreaterThanOrEqual(1);
            expect(o.line).toBeLessThanOrEqual(count);
            if (o.kind === 'document') expect(typeof o.value).toBe('object');
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('parseSingle', () => {
  it('takes a multi-line body as one document', () => {
    expect(parseSingle('index', 'i', '1', '{\n  "a": 1\n}')).toMatchObject({
      kind: 'document',
      value: { a: 1 },
    });
    expect(parseSingle('create', 'i', undefined, 'nope')).toMatchObject({
      kind: 'failure',
      keep: { text: 'nope' },
    });
  });
});

describe('bulkResponse', () => {
  it('answers in the Elasticsearch bulk format', () => {
    const ops = parseBulk(
      [doc({ create: { _index: 'w' } }), doc({ a: 1 }), doc({ delete: { _id: 'd' } })].join('\n'),
    );
    const r = bulkResponse(
      ops,
      [{ id: 41 }, { status: 400, error: (ops[1] as BulkFailure).error }],
      'vigil',
      3,
    );
    expect(r).toEqual({
      took: 3,
      errors: true,
      items: [
        {
          create: {
            _index: 'w',
            _id: '41',
            _version: 1,
            result: 'created',
            _shards: { total: 1, successful: 1, failed: 0 },
            _seq_no: 41,
            _primary_term: 1,
            status: 201,
          },
        },
        {
          delete: {
            _index: 'vigil',
            _id: 'd',
            status: 400,
            error: expect.objectContaining({ type: 'action_request_validation_exception', index: 'vigil' }),
          },
        },
      ],
    });
  });
});

describe('filterPath', () => {
  const body = {
    took: 2,
    errors: true,
    items: [
      { index: { _id: '1', status: 201, result: 'created' } },
      { create: { _id: '2', status: 400, error: { type: 't', reason: 'r' } } },
    ],
  };

  it('keeps what Beats and Logstash ask for', () => {
    expect(filterPath(body, 'errors,items.*.error,items.*.status')).toEqual({
      errors: true,
      items: [{ index: { status: 201 } }, { create: { status: 400, error: { type: 't', reason: 'r' } } }],
    });
  });

  it('supports ** and partial wildcards, ignores exclusions, and answers {} when nothing is left', () => {
    expect(filterPath(body, '**.reason')).toEqual({ items: [{ create: { error: { reason: 'r' } } }] });
    expect(filterPath(body, 'ta*')).toEqual({});
    expect(filterPath(body, 'to*')).toEqual({ took: 2 });
    expect(filterPath(body, '-took')).toBe(body);
    expect(filterPath(body, 'nothing.here')).toEqual({});
  });
});
