import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { defaultSmilesColumn, parseCsv, readCsv, readCsvSync, streamSmiles } from '../src/data/csv.js';
import { loadCsvDataset } from '../src/data/dataset.js';
import { ConfigError, DatasetError } from '../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'molgrove-csv-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('readCsv', () => {
  test('CRLF, BOM, quoted fields with commas and quotes', async () => {
    const p = file('a.csv', '\uFEFFname,smiles,y\r\n"a, b",CCO,1\r\n"say ""hi""",c1ccccc1,0\r\n');
    const t = await readCsv(p);
    assert.deepEqual(t.header, ['name', 'smiles', 'y']);
    assert.deepEqual(t.rows, [
      ['a, b', 'CCO', '1'],
      ['say "hi"', 'c1ccccc1', '0'],
    ]);
    assert.deepEqual(t.lines, [2, 3]);
    assert.equal(t.format, 'csv');
  });

  test('blank lines are skipped, including HIV-style "\\r\\n\\n" and whitespace-only lines', () => {
    const t = parseCsv('smiles,y\r\n\nC,1\r\n\n  \nCC,0\r\n\n\n', { source: 'x.csv' });
    assert.deepEqual(t.rows, [
      ['C', '1'],
      ['CC', '0'],
    ]);
    assert.deepEqual(t.lines, [3, 6]);
  });

  test('a row with the wrong number of fields names the file and line', () => {
    const p = file('bad.csv', 'smiles,y\nC,1\n\nCC,0,7\n');
    assert.throws(
      () => readCsvSync(p),
      (err: unknown) =>
        err instanceof DatasetError && err.message.includes(p) && /line 4\b/.test(err.message),
    );
  });

  test('line numbers count line breaks inside quoted fields', () => {
    const text = 'name,smiles\r\n"two\r\nlines",C\r\n\r\n"three\nline\rfield",CC\nx,CCC\nbad\n';
    assert.throws(
      () => parseCsv(text, { source: 'm.csv' }),
      (err: unknown) => err instanceof DatasetError && /m\.csv line 9\b/.test(err.message),
    );
    const t = parseCsv(text.replace('bad\n', ''), { source: 'm.csv' });
    assert.deepEqual(t.lines, [2, 5, 8]);
    assert.equal(t.rows[0]![0], 'two\r\nlines');
  });

  test('an unterminated quote is a DatasetError with a line', () => {
    assert.throws(
      () => parseCsv('smiles,y\nC,1\n"CC,0\n', { source: 'q.csv' }),
      (err: unknown) =>
        err instanceof DatasetError && /q\.csv/.test(err.message) && /line \d+/.test(err.message),
    );
  });

  test('gzip is detected by content, TSV by extension', async () => {
    const p = file('t.tsv.gz', gzipSync('smiles\ty\nC\t1\nN\t\n'));
    const t = await readCsv(p);
    assert.equal(t.format, 'tsv');
    assert.deepEqual(t.rows, [
      ['C', '1'],
      ['N', ''],
    ]);
  });

  test('.smi without header, with optional ids; .txt with CRLF', async () => {
    const smi = await readCsv(file('m.smi', 'CCO ethanol\nc1ccccc1\tbenzene\n\n# comment\nC\n'));
    assert.deepEqual(smi.header, ['smiles', 'id']);
    assert.deepEqual(smi.rows, [
      ['CCO', 'ethanol'],
      ['c1ccccc1', 'benzene'],
      ['C', ''],
    ]);
    assert.deepEqual(smi.lines, [1, 2, 5]);
    const txt = await readCsv(file('m.txt', 'CCO\r\nCCN\r\n'));
    assert.deepEqual(txt.header, ['smiles']);
    assert.deepEqual(txt.rows, [['CCO'], ['CCN']]);
    const withHeader = await readCsv(file('h.smi', 'SMILES Name\nCCO a\n'));
    assert.deepEqual(withHeader.rows, [['CCO', 'a']]);
  });

  test('corrupt gzip data is a DatasetError, whole-file and streaming', async () => {
    const p = file('corrupt.csv.gz', gzipSync('smiles\nCCO\n'.repeat(100)).subarray(0, 30));
    await assert.rejects(
      readCsv(p),
      (err: unknown) => err instanceof DatasetError && err.message.includes(p),
    );
    await assert.rejects(
      collect(streamSmiles(p)),
      (err: unknown) => err instanceof DatasetError && err.message.includes(p),
    );
  });

  test('an empty CSV file is an error', async () => {
    await assert.rejects(readCsv(file('empty.csv', '\n\n')), DatasetError);
  });

  test('a missing file is a DatasetError naming it', async () => {
    const p = join(dir, 'nope.csv');
    await assert.rejects(
      readCsv(p),
      (err: unknown) => err instanceof DatasetError && err.message.includes(p),
    );
  });

  test('default SMILES column', () => {
    assert.equal(defaultSmilesColumn(['a', 'smiles']), 'smiles');
    assert.equal(defaultSmilesColumn(['SMILES', 'SPLIT']), 'SMILES');
    assert.equal(defaultSmilesColumn(['mol', 'Class']), 'mol');
  });
});

describe('streamSmiles', () => {
  const big = Array.from({ length: 1000 }, (_, i) => `${'C'.repeat((i % 5) + 1)},${i}`).join('\r\n\n');
  const csvPath = file('big.csv', `id_smiles,idx\r\n\n${big}\r\n`);

  test('streams rows with row and line numbers, honouring limit', async () => {
    const rows = await collect(streamSmiles(csvPath, { column: 'id_smiles', limit: 3 }));
    assert.deepEqual(rows, [
      { row: 0, line: 3, smiles: 'C' },
      { row: 1, line: 5, smiles: 'CC' },
      { row: 2, line: 7, smiles: 'CCC' },
    ]);
    const all = await collect(streamSmiles(csvPath, { column: 'id_smiles' }));
    assert.equal(all.length, 1000);
    assert.equal(all[999]!.smiles, 'CCCCC');
  });

  test('gzipped CSV and .smi files stream too', async () => {
    const gz = file('s.csv.gz', gzipSync('x,smiles\n1, CCO \n2,CCN\n'));
    assert.deepEqual(
      (await collect(streamSmiles(gz))).map((r) => r.smiles),
      ['CCO', 'CCN'],
    );
    const smi = file('s.smi', 'smiles\nCCO a\n\nCCN b\nCCC c\n');
    assert.deepEqual(await collect(streamSmiles(smi, { limit: 2 })), [
      { row: 0, line: 2, smiles: 'CCO' },
      { row: 1, line: 4, smiles: 'CCN' },
    ]);
  });

  test('stopping early closes the file; errors name file and line', async () => {
    for await (const r of streamSmiles(csvPath)) {
      if (r.row === 5) break;
    }
    const bad = file('bad-stream.csv', 'smiles,y\nC,1\nCC\n');
    await assert.rejects(
      collect(streamSmiles(bad)),
      (err: unknown) =>
        err instanceof DatasetError && err.message.includes(bad) && /line 3\b/.test(err.message),
    );
    await assert.rejects(
      collect(streamSmiles(csvPath, { column: 'nope' })),
      (err: unknown) => err instanceof DatasetError && /no column 'nope'/.test(err.message),
    );
    await assert.rejects(collect(streamSmiles(join(dir, 'missing.csv'))), DatasetError);
  });
});

describe('loadCsvDataset', () => {
  test('defaults: smiles column, every other column a target, NaN for missing, inferred task type', async () => {
    const p = file('u.csv', 'a,smiles,b\n1,CCO,0.5\n,CCN,nan\n0, C ,2\n');
    const ds = await loadCsvDataset({ path: p });
    assert.equal(ds.name, 'u');
    assert.deepEqual(ds.smiles, ['CCO', 'CCN', 'C']);
    assert.deepEqual(ds.taskNames, ['a', 'b']);
    assert.equal(ds.taskType, 'regression');
    assert.equal(ds.metric, 'rmse');
    assert.equal(ds.targets.length, 6);
    assert.deepEqual([...ds.targets].slice(0, 2), [1, 0.5]);
    assert.ok(Number.isNaN(ds.targets[2]!) && Number.isNaN(ds.targets[3]!));
  });

  test('first column is the SMILES column when there is no "smiles" column (GROVER)', async () => {
    const p = file('g.csv', 'mol,Class\nCCO,1\nCCN,0\n');
    const ds = await loadCsvDataset({ path: p });
    assert.deepEqual(ds.smiles, ['CCO', 'CCN']);
    assert.deepEqual(ds.taskNames, ['Class']);
    assert.equal(ds.taskType, 'classification');
    assert.equal(ds.metric, 'auc');
  });

  test('a non-numeric label names file, line and column', async () => {
    const p = file('n.csv', 'smiles,y\nCCO,1\n\nCCN,active\n');
    await assert.rejects(
      loadCsvDataset({ path: p, taskType: 'regression' }),
      (err: unknown) =>
        err instanceof DatasetError &&
        err.message.includes(p) &&
        /line 4\b/.test(err.message) &&
        /column 2 'y'/.test(err.message),
    );
  });

  test('classification labels must be 0/1', async () => {
    const p = file('c.csv', 'smiles,y\nCCO,1\nCCN,2\n');
    await assert.rejects(loadCsvDataset({ path: p, taskType: 'classification' }), DatasetError);
  });

  test('a missing column is a ConfigError listing the header', async () => {
    const p = file('m.csv', 'smiles,y\nCCO,1\n');
    await assert.rejects(
      loadCsvDataset({ path: p, targetColumns: ['z'], taskType: 'regression' }),
      (err: unknown) => err instanceof ConfigError && /"smiles", "y"/.test(err.message),
    );
    await assert.rejects(loadCsvDataset({ path: p, smilesColumn: 'mol' }), ConfigError);
  });

  test('an empty SMILES is a DatasetError with its line', async () => {
    const p = file('e.csv', 'smiles,y\nCCO,1\n,0\n');
    await assert.rejects(
      loadCsvDataset({ path: p }),
      (err: unknown) => err instanceof DatasetError && /line 3\b/.test(err.message),
    );
  });

  test('a .smi file is unlabelled', async () => {
    const ds = await loadCsvDataset({ path: file('p.smi', 'CCO x\nCCN y\n') });
    assert.equal(ds.taskType, 'unlabelled');
    assert.equal(ds.metric, null);
    assert.deepEqual(ds.taskNames, []);
    assert.equal(ds.targets.length, 0);
  });
});
