/** predict, evaluate and fingerprint, run in-process on a tiny fine-tune made here. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { getFeaturizer } from '../src/chem/featurizers/index.js';
import { loadRDKit } from '../src/chem/rdkit.js';
import { batchGraphs } from '../src/data/batch.js';
import { readCsvSync } from '../src/data/csv.js';
import { featurizeSmiles } from '../src/data/molgraph.js';
import { loadModelFile } from '../src/models/model-file-node.js';
import { runCli } from './helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'molgrove-predict-'));
const savedCache = process.env['MOLGROVE_CACHE_DIR'];
// The feature cache must not write to the home folder.
process.env['MOLGROVE_CACHE_DIR'] = join(tmp, 'cache');
after(() => {
  if (savedCache === undefined) delete process.env['MOLGROVE_CACHE_DIR'];
  else process.env['MOLGROVE_CACHE_DIR'] = savedCache;
  rmSync(tmp, { recursive: true, force: true });
});

// Label: has an aromatic ring (lower-case atoms in these SMILES).
const MOLS = [
  'CCO',
  'c1ccccc1O',
  'CC(=O)Nc1ccc(O)cc1',
  'CCN(CC)CC',
  'CCCCCC',
  'c1ccc2ccccc2c1',
  'CC(C)O',
  'Cc1ccccc1',
  'OC(=O)CC',
  'c1ccncc1',
  'CCOC(C)=O',
  'Clc1ccccc1',
  'CCCCO',
  'c1ccoc1',
  'NCCN',
  'Oc1ccc(Cl)cc1',
  'CC(=O)C',
  'c1ccsc1',
  'CCCN',
  'COc1ccccc1',
  'C1CCCCC1',
  'Nc1ccccc1',
  'CCC(=O)O',
  'Cc1ccncc1',
];
const label = (s: string): number => (/[a-z]/.test(s.replace(/Cl/g, '')) ? 1 : 0);

const run = runCli;

const runDir = join(tmp, 'run');
const modelPath = join(runDir, 'seed-0', 'model.mgv');
const input = join(tmp, 'new.csv');
const NEW = ['CCO', 'c1ccccc1N', 'xyz', 'CC(C)Cc1ccc(cc1)C(C)C(=O)O', 'CCCl'];

describe('predict / evaluate / fingerprint', () => {
  before(async () => {
    const csv = join(tmp, 'train.csv');
    writeFileSync(csv, `smiles,aromatic\n${MOLS.map((s) => `${s},${label(s)}`).join('\n')}\n`);
    writeFileSync(input, `id,smiles\n${NEW.map((s, i) => `m${i},${s}`).join('\n')}\n`);
    const r = await run(
      [
        'finetune',
        '--csv',
        csv,
        '--split',
        'random',
        '--epochs',
        '2',
        '--hidden',
        '16',
        '--layers',
        '2',
      ].concat(['--out', runDir]),
    );
    assert.equal(r.code, 0);
  });

  test('predict writes probabilities equal to the model, and an error for a bad SMILES', async () => {
    const out = join(tmp, 'preds.csv');
    const r = await run(['predict', '--model', modelPath, '--input', input, '--out', out]);
    assert.equal(r.code, 0);
    assert.match(r.out, /predicted 4 rows, 1 failed \(1 model\)/);
    const table = readCsvSync(out);
    assert.deepEqual(table.header, ['smiles', 'aromatic', 'error']);
    assert.equal(table.rows.length, NEW.length);
    assert.deepEqual(table.rows[2]!.slice(0, 2), ['xyz', '']);
    assert.notEqual(table.rows[2]![2], '');

    const { model } = await loadModelFile(modelPath);
    await loadRDKit();
    const featurizer = getFeaturizer(model.spec.featurizer!);
    const ok = NEW.filter((s) => s !== 'xyz');
    const want = model.predict({
      graphs: batchGraphs(ok.map((s) => featurizeSmiles(s, featurizer))),
      molFeatures: null,
      size: ok.length,
    });
    const got = table.rows.filter((row) => row[0] !== 'xyz');
    got.forEach((row, k) => {
      assert.equal(row[2], '');
      const p = Number(row[1]);
      assert.ok(p >= 0 && p <= 1);
      assert.ok(Math.abs(p - want[k]!) < 1e-6, `${row[0]}: ${p} vs ${want[k]}`);
    });

    // A run directory is an ensemble of its seeds (here one).
    const r2 = await run(['predict', '--model', runDir, '--input', input, '--out', join(tmp, 'p2.csv')]);
    assert.equal(r2.code, 0);
    assert.deepEqual(readCsvSync(join(tmp, 'p2.csv')).rows, table.rows);
  });

  test('evaluate --json gives a finite mean', async () => {
    const csv = join(tmp, 'train.csv');
    const r = await run(['evaluate', '--model', modelPath, '--csv', csv, '--json']);
    assert.equal(r.code, 0);
    const j = JSON.parse(r.out) as { mean: number; rows: number; part: string; metric: string };
    assert.equal(j.part, 'all');
    assert.equal(j.rows, MOLS.length);
    assert.ok(Number.isFinite(j.mean) && j.mean >= 0 && j.mean <= 1);

    const t = await run([
      'evaluate',
      '--model',
      modelPath,
      '--csv',
      csv,
      '--split',
      'random',
      '--part',
      'train',
    ]);
    assert.equal(t.code, 0);
    assert.match(t.out, /mean roc-auc: \d\.\d{4}/);
  });

  test('fingerprint writes CSV and .npy of the right shapes', async () => {
    const { model } = await loadModelFile(modelPath);
    const d = model.embedDim;
    const csvOut = join(tmp, 'emb.csv');
    const r1 = await run(['fingerprint', '--model', modelPath, '--input', input, '--out', csvOut]);
    const r2 = await run([
      'fingerprint',
      '--model',
      modelPath,
      '--input',
      input,
      '--out',
      join(tmp, 'emb.npy'),
    ]);
    assert.equal(r1.code, 0);
    assert.equal(r2.code, 0);
    assert.match(r1.err, /row 2 \(line 4\)/);
    const table = readCsvSync(csvOut);
    assert.equal(table.header.length, d + 1);
    assert.equal(table.header[d], `emb_${d - 1}`);
    assert.equal(table.rows.length, NEW.length);
    assert.equal(table.rows[2]![1], 'nan');
    const npy = readFileSync(join(tmp, 'emb.npy'));
    const headerLen = npy.readUInt16LE(8);
    assert.match(
      npy.subarray(10, 10 + headerLen).toString('latin1'),
      new RegExp(`'shape': \\(${NEW.length}, ${d}\\)`),
    );
    assert.equal(npy.length, 10 + headerLen + NEW.length * d * 4);
    assert.ok(Number.isNaN(npy.readFloatLE(10 + headerLen + 2 * d * 4)));
    assert.equal(npy.readFloatLE(10 + headerLen), Number(table.rows[0]![1]));
  });

  test('a missing --model is a usage error (exit code 2)', async () => {
    const r = await run(['predict', '--input', input, '--out', join(tmp, 'x.csv')]);
    assert.equal(r.code, 2);
    const other = join(tmp, 'other.csv');
    writeFileSync(other, 'smiles,toxic\nCCO,1\nc1ccccc1,0\n');
    const r3 = await run(['evaluate', '--model', modelPath, '--csv', other]);
    assert.equal(r3.code, 2);
    const r2 = await run([
      'predict',
      '--model',
      join(tmp, 'nope.mgv'),
      '--input',
      input,
      '--out',
      join(tmp, 'x.csv'),
    ]);
    assert.equal(r2.code, 2);
  });
});

describe('predict: a multi-seed run as an ensemble, molecule features from a file, column names', () => {
  const dir = join(tmp, 'run-ens');
  const feats = (mols: readonly string[]): string =>
    `smiles,n_lower,length\n${mols.map((m) => `${m},${m.replace(/Cl/g, '').replace(/[^a-z]/g, '').length},${m.length}`).join('\n')}\n`;
  before(async () => {
    // The target is named 'error', like predict's error column.
    const csv = join(tmp, 'train-err.csv');
    writeFileSync(csv, `smiles,error\n${MOLS.map((m) => `${m},${label(m)}`).join('\n')}\n`);
    writeFileSync(join(tmp, 'train-feats.csv'), feats(MOLS));
    const r = await run([
      'finetune',
      '--csv',
      csv,
      '--split',
      'random',
      '--epochs',
      '2',
      '--hidden',
      '16',
      '--layers',
      '2',
      '--seeds',
      '2',
      '--mol-features-file',
      join(tmp, 'train-feats.csv'),
      '--out',
      dir,
    ]);
    assert.equal(r.code, 0);
  });

  test("predictions are the mean of the seeds' models, fed the given feature rows", async () => {
    const newFeats = join(tmp, 'new-feats.csv');
    writeFileSync(newFeats, feats(NEW));
    const out = join(tmp, 'ens.csv');
    const r = await run([
      'predict',
      '--model',
      dir,
      '--input',
      input,
      '--mol-features-file',
      newFeats,
      '--out',
      out,
    ]);
    assert.equal(r.code, 0);
    assert.match(r.out, /mean of 2 models/);
    const table = readCsvSync(out);
    assert.deepEqual(table.header, ['smiles', 'error_pred', 'error']);

    await loadRDKit();
    const models = await Promise.all([0, 1].map((s) => loadModelFile(join(dir, `seed-${s}`, 'model.mgv'))));
    assert.equal(models[0]!.model.spec.molFeatures?.generator, 'file');
    const ok = NEW.map((m, i) => [m, i] as const).filter(([m]) => m !== 'xyz');
    const featRows = readCsvSync(newFeats).rows;
    const molFeatures = Float32Array.from(ok.flatMap(([, i]) => featRows[i]!.slice(1).map(Number)));
    const featurizer = getFeaturizer(models[0]!.model.spec.featurizer!);
    const input2 = {
      graphs: batchGraphs(ok.map(([m]) => featurizeSmiles(m, featurizer))),
      molFeatures,
      size: ok.length,
    };
    const p0 = models[0]!.model.predict(input2);
    const p1 = models[1]!.model.predict(input2);
    assert.ok(
      p0.some((v, k) => Math.abs(v - p1[k]!) > 1e-6),
      'the two seeds give different models',
    );
    ok.forEach(([m, i], k) => {
      const got = Number(table.rows[i]![1]);
      const want = (p0[k]! + p1[k]!) / 2;
      assert.ok(Math.abs(got - want) < 1e-6, `${m}: ${got} vs ${want}`);
    });
  });

  test('a model trained on a feature file refuses to predict without one, or with misaligned rows', async () => {
    const r = await run(['predict', '--model', dir, '--input', input, '--out', join(tmp, 'nofeat.csv')]);
    assert.equal(r.code, 2);
    assert.match(r.err, /--mol-features-file/);
    const short = join(tmp, 'short-feats.csv');
    writeFileSync(short, feats(NEW.slice(0, 2)));
    const r2 = await run([
      'predict',
      '--model',
      dir,
      '--input',
      input,
      '--mol-features-file',
      short,
      '--out',
      join(tmp, 'short.csv'),
    ]);
    assert.notEqual(r2.code, 0);
    assert.match(r2.err, /2 feature rows but the dataset has 5 molecules/);
  });
});
