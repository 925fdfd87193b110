import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRecords } from '../../src/cli/ml/input.js';

describe('readRecords on unreadable input (review)', () => {
  it('refuses a missing .csv file with VIGIL_ERR_ML_INPUT', async () => {
    await expect(readRecords('/nonexistent/rows.csv')).rejects.toMatchObject({ code: 'VIGIL_ERR_ML_INPUT' });
  });
  it('refuses a missing .csv.gz file with VIGIL_ERR_ML_INPUT', async () => {
    await expect(readRecords('/nonexistent/rows.csv.gz')).rejects.toMatchObject({
      code: 'VIGIL_ERR_ML_INPUT',
    });
  });
  it('refuses a missing .jsonl.gz file with VIGIL_ERR_ML_INPUT', async () => {
    await expect(readRecords('/nonexistent/rows.jsonl.gz')).rejects.toMatchObject({
      code: 'VIGIL_ERR_ML_INPUT',
    });
  });
});

describe('readRecords on a missing plain JSONL file (review)', () => {
  it('refuses it with VIGIL_ERR_ML_INPUT', async () => {
    await expect(readRecords('/nonexistent/rows.jsonl')).rejects.toMatchObject({
      code: 'VIGIL_ERR_ML_INPUT',
    });
  });
});

describe('readRecords on a .gz file that is not gzip (review)', () => {
  it('refuses it with VIGIL_ERR_ML_INPUT', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'vigil-input-')), 'rows.csv.gz');
    writeFileSync(path, 'a,b\n1,2\n');
    await expect(readRecords(path)).rejects.toMatchObject({ code: 'VIGIL_ERR_ML_INPUT' });
  });
});
