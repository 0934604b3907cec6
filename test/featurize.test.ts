/** MolGraph construction, batching, the .feat format, the parallel featurizer and its cache. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { getFeaturizer } from '../src/chem/featurizers/index.js';
import { loadRDKit } from '../src/chem/rdkit.js';
import { batchGraphs } from '../src/data/batch.js';
import { loadCsvDataset } from '../src/data/dataset.js';
import { featurizeDataset } from '../src/data/feature-cache.js';
import { featurizeAll } from '../src/data/featurize.js';
import { FeaturizedDataset } from '../src/data/featurized.js';
import { featurizeSmiles } from '../src/data/molgraph.js';
import { InvalidSmilesError } from '../src/errors.js';

const SMILES = ['CCO', 'c1ccccc1O', 'C', 'CC(=O)Nc1ccc(O)cc1', '[Na+].[Cl-]', 'C1CC1C#N'];
const repo = new URL('../../', import.meta.url).pathname;

before(async () => {
  await loadRDKit();
});

test('MolGraph: ethanol has 3 atoms, 2 bonds = 4 directed edges with reverse pointers', () => {
  const g = featurizeSmiles('CCO', getFeaturizer('grover'));
  assert.equal(g.numAtoms, 3);
  assert.equal(g.numEdges, 4);
  assert.deepEqual(Array.from(g.edgeIndex), [0, 1, 1, 2, 1, 0, 2, 1]);
  assert.deepEqual(Array.from(g.revEdge), [1, 0, 3, 2]);
  assert.equal(g.atomFeatures.length, 3 * 151);
  assert.equal(g.bondFeatures.length, 4 * 14);
  // C (Z=6) is one-hot slot 5; O (Z=8) slot 7; Hu codes are Z-1 too.
  assert.equal(g.atomFeatures[5], 1);
  assert.equal(g.atomFeatures[2 * 151 + 7], 1);
  assert.deepEqual(Array.from(g.atomCodes), [5, 0, 5, 0, 7, 0]);
  // both directions of a bond carry the same features (single bond: slot 1)
  assert.deepEqual(Array.from(g.bondFeatures.subarray(0, 14)), Array.from(g.bondFeatures.subarray(14, 28)));
  assert.equal(g.bondFeatures[1], 1);
});

test('a single-atom molecule has no edges; salts keep both fragments', () => {
  const methane = featurizeSmiles('C', getFeaturizer('chemprop'));
  assert.equal(methane.numAtoms, 1);
  assert.equal(methane.numEdges, 0);
  const salt = featurizeSmiles('[Na+].[Cl-]', getFeaturizer('hu'));
  assert.equal(salt.numAtoms, 2);
  assert.equal(salt.numEdges, 0);
});

test('invalid SMILES raise InvalidSmilesError with the row', () => {
  assert.throws(
    () => featurizeSmiles('C1CC', getFeaturizer('grover'), { row: 7 }),
    (err: unknown) => err instanceof InvalidSmilesError && err.row === 7 && err.code === 'INVALID_SMILES',
  );
  assert.throws(() => featurizeSmiles('', getFeaturizer('grover')), InvalidSmilesError);
});

test('batchGraphs offsets edges into global atom indices', () => {
  const f = getFeaturizer('hu');
  const graphs = SMILES.map((s) => featurizeSmiles(s, f));
  const b = batchGraphs(graphs);
  assert.equal(b.numGraphs, SMILES.length);
  assert.equal(
    b.numAtoms,
    graphs.reduce((s, g) => s + g.numAtoms, 0),
  );
  assert.equal(
    b.numEdges,
    graphs.reduce((s, g) => s + g.numEdges, 0),
  );
  for (let e = 0; e < b.numEdges; e++) {
    const src = b.edgeIndex[e]!;
    const dst = b.edgeIndex[b.numEdges + e]!;
    assert.equal(b.graphIndex[src], b.graphIndex[dst], 'an edge stays inside its molecule');
    assert.equal(b.revEdge[b.revEdge[e]!], e);
    assert.equal(b.edgeIndex[b.revEdge[e]!], dst);
  }
  assert.equal(b.atomOffsets[SMILES.length], b.numAtoms);
  assert.deepEqual(Array.from(b.graphIndex.subarray(0, 3)), [0, 0, 0]);
  assert.throws(
    () => batchGraphs([graphs[0]!, featurizeSmiles('CC', getFeaturizer('grover'))]),
    /mixed featurizers/,
  );
});

test('featurizeAll is the same on 1 and 2 threads and records invalid rows', async () => {
  const smiles = [...SMILES, 'not a smiles', ...SMILES, 'C1CC'];
  const one = await featurizeAll(smiles, 'grover', { threads: 1, skipInvalid: true });
  const two = await featurizeAll(smiles, 'grover', { threads: 2, skipInvalid: true, chunkSize: 3 });
  assert.deepEqual(Buffer.from(two.toBytes()), Buffer.from(one.toBytes()));
  assert.deepEqual(
    one.invalid.map((r) => r.row),
    [6, 13],
  );
  assert.equal(one.size, 12);
  assert.deepEqual(Array.from(one.packed.rows.subarray(5, 8)), [5, 7, 8]);
  await assert.rejects(featurizeAll(smiles, 'grover', { threads: 1 }), (err: unknown) => {
    return err instanceof InvalidSmilesError && err.row === 6;
  });
  await assert.rejects(featurizeAll(smiles, 'nope'), /unknown featurizer 'nope'; choose one of/);
});

test('.feat round trip keeps every array and the invalid rows', async () => {
  const ds = await featurizeAll([...SMILES, 'C1CC'], 'chemprop', { skipInvalid: true });
  const back = FeaturizedDataset.fromBytes(ds.toBytes());
  assert.equal(back.featurizer, 'chemprop');
  assert.equal(back.size, SMILES.length);
  assert.deepEqual(back.invalid, ds.invalid);
  const g = back.graph(3);
  const direct = featurizeSmiles(SMILES[3]!, getFeaturizer('chemprop'));
  assert.deepEqual(Array.from(g.atomFeatures), Array.from(direct.atomFeatures));
  assert.deepEqual(Array.from(g.edgeIndex), Array.from(direct.edgeIndex));
  assert.throws(() => FeaturizedDataset.fromBytes(new Uint8Array(20)), /not a molgrove .feat file/);
});

test('the cache returns the same data and notices a changed file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mg-cache-'));
  process.env['MOLGROVE_CACHE_DIR'] = dir;
  const csv = join(dir, 'mols.csv');
  writeFileSync(csv, 'smiles,y\nCCO,1\nc1ccccc1,0\n');
  const ds = await loadCsvDataset({ path: csv });
  const first = await featurizeDataset(ds, 'hu');
  const second = await featurizeDataset(ds, 'hu');
  assert.equal(first.fromCache, false);
  assert.equal(second.fromCache, true);
  assert.deepEqual(Buffer.from(second.data.toBytes()), Buffer.from(first.data.toBytes()));
  writeFileSync(csv, 'smiles,y\nCCO,1\nc1ccccc1N,0\n');
  const changed = await featurizeDataset(await loadCsvDataset({ path: csv }), 'hu');
  assert.equal(changed.fromCache, false);
});

test('CLI: featurize writes a .feat file and invalid.csv; a bad row without --skip-invalid exits 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mg-cli-'));
  const csv = join(dir, 'in.csv');
  writeFileSync(csv, 'smiles,y\nCCO,1\nC1CC,0\nc1ccccc1,1\n');
  const env = { ...process.env, MOLGROVE_CACHE_DIR: join(dir, 'cache') };
  const cli = join(repo, 'dist/src/cli/main.js');
  const out = join(dir, 'out.feat');
  const summary = JSON.parse(
    execFileSync(
      'node',
      [cli, 'featurize', '--csv', csv, '--features', 'grover', '--out', out, '--skip-invalid', '--json'],
      {
        env,
        encoding: 'utf8',
      },
    ),
  ) as { molecules: number; invalid: number };
  assert.equal(summary.molecules, 2);
  assert.equal(summary.invalid, 1);
  assert.match(readFileSync(join(dir, 'invalid.csv'), 'utf8'), /^row,smiles,error\n1,C1CC,/);
  assert.equal(FeaturizedDataset.fromBytes(readFileSync(out)).size, 2);
  let status = 0;
  let stderr = '';
  try {
    execFileSync('node', [cli, 'featurize', '--csv', csv, '--out', out], {
      env,
      encoding: 'utf8',
      stdio: 'pipe',
    });
  } catch (err) {
    const e = err as { status: number; stderr: string };
    status = e.status;
    stderr = e.stderr;
  }
  assert.equal(status, 1);
  assert.match(stderr, /INVALID_SMILES: invalid SMILES at .*in\.csv data row 1/);
  let usage = 0;
  try {
    execFileSync('node', [cli, 'featurize', '--csv', csv, '--features', 'nope', '--out', out], {
      env,
      stdio: 'pipe',
    });
  } catch (err) {
    usage = (err as { status: number }).status;
  }
  assert.equal(usage, 2);
});
