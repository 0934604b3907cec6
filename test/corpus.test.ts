// A directory as a pretraining corpus: its SMILES files in name order, rows numbered across files,
// the limit applied to the whole, other files ignored.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { corpusFiles, streamCorpus } from '../src/data/corpus.js';
import { MolgroveError } from '../src/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'molgrove-corpus-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('a directory streams its SMILES files in name order as one corpus', async () => {
  const dir = join(tmp, 'corpus');
  mkdirSync(dir);
  writeFileSync(join(dir, 'a.csv'), 'id,SMILES\n1,CCO\n2,c1ccccc1\n');
  writeFileSync(join(dir, 'b.smi'), 'CCN\nCCCl\n');
  writeFileSync(join(dir, 'c.txt.gz'), gzipSync('O=C=O\n'));
  writeFileSync(join(dir, 'README.md'), '# not SMILES\n');
  assert.deepEqual(
    corpusFiles(dir).map((f) => f.path.split('/').pop()),
    ['a.csv', 'b.smi', 'c.txt.gz'],
  );
  const rows = [];
  for await (const r of streamCorpus(dir)) rows.push(r);
  assert.deepEqual(
    rows.map((r) => [r.row, r.smiles, r.line, r.source.split('/').pop()]),
    [
      [0, 'CCO', 2, 'a.csv'],
      [1, 'c1ccccc1', 3, 'a.csv'],
      [2, 'CCN', 1, 'b.smi'],
      [3, 'CCCl', 2, 'b.smi'],
      [4, 'O=C=O', 1, 'c.txt.gz'],
    ],
  );
  const limited = [];
  for await (const r of streamCorpus(dir, { limit: 3 })) limited.push(r.smiles);
  assert.deepEqual(limited, ['CCO', 'c1ccccc1', 'CCN']);
  const one = [];
  for await (const r of streamCorpus(join(dir, 'b.smi'))) one.push(r.row);
  assert.deepEqual(one, [0, 1]);
});

test('a missing input or a directory without SMILES files is an error naming it', () => {
  assert.throws(
    () => corpusFiles(join(tmp, 'nope')),
    (e: unknown) => e instanceof MolgroveError && /nope/.test(e.message),
  );
  const empty = join(tmp, 'empty');
  mkdirSync(empty);
  assert.throws(() => corpusFiles(empty), /no SMILES files/);
});
