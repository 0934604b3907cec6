// Fine-tuning end to end on a tiny CSV: an interrupted and resumed run ends with exactly the files
// of an uninterrupted one, a run folder refuses another config, the model file reproduces the
// reported test score, the regression scaler and units, multi-seed aggregation, and protocol presets.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { ConfigError, MolgroveError } from '../src/errors.js';
import { evaluate } from '../src/metrics/index.js';
import { loadModelFile } from '../src/models/model-file-node.js';
import { resolveConfig } from '../src/train/config.js';
import { type TaskData, trainingBatches } from '../src/train/data.js';
import type { TrainEvent } from '../src/train/events.js';
import { finetune } from '../src/train/finetune.js';
import { predictSmiles } from '../src/train/inference.js';

// Caches are read from the environment when used, so this still applies to the imports above.
const tmp = mkdtempSync(join(tmpdir(), 'molgrove-train-'));
process.env['MOLGROVE_CACHE_DIR'] = join(tmp, 'cache');

const AROMATIC = [
  'c1ccccc1O',
  'CC(=O)Nc1ccc(O)cc1',
  'c1ccncc1',
  'c1ccccc1',
  'Cc1ccccc1',
  'c1ccc2ccccc2c1',
  'Oc1ccc(Cl)cc1',
  'Nc1ccccc1',
  'c1ccoc1',
  'c1ccsc1',
  'c1cc[nH]c1',
  'COc1ccccc1',
  'CC(C)c1ccccc1',
  'O=C(O)c1ccccc1',
  'Brc1ccccc1',
  'Fc1ccccc1F',
  'N#Cc1ccccc1',
  'CCc1ccncc1',
  'c1cnc2ccccc2c1',
  'Cc1ccc(C)cc1',
];
const ALIPHATIC = [
  'CCO',
  'CCN(CC)CC',
  'C1CCCCC1',
  'CC(C)O',
  'CCCC',
  'CCCCCC',
  'CC(=O)O',
  'CC(=O)OC',
  'C1CCOC1',
  'CCOCC',
  'CC(C)(C)O',
  'NCCO',
  'ClCCCl',
  'C1CCNCC1',
  'CC=CC',
  'C=CC=C',
  'CCC#N',
  'OCC(O)CO',
  'CCCCO',
  'CC(C)CC(=O)O',
];
// Interleaved so that any split sees both classes.
const SMILES = AROMATIC.flatMap((s, i) => [s, ALIPHATIC[i]!]);
const LABELS = SMILES.map((s) => (/[cnos]/.test(s) ? 1 : 0));
const heavyAtoms = (s: string): number => (s.match(/Cl|Br|[BCNOSPFI]|[cnosp]/g) ?? []).length;
const VALUES = SMILES.map((s, i) => heavyAtoms(s) + 0.1 * ((i * 7) % 5) - 0.2);

const clsCsv = join(tmp, 'aromatic.csv');
const regCsv = join(tmp, 'heavy.csv');
const dirA = join(tmp, 'runA');
const dirB = join(tmp, 'runB');

const baseLayer = {
  csv: clsCsv,
  split: 'random',
  sizes: [0.6, 0.2, 0.2],
  epochs: 5,
  hidden: 16,
  layers: 2,
  dropout: 0.2,
  seeds: [0],
};

const readJson = (path: string): Record<string, unknown> =>
  JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
const readJsonl = (path: string): Record<string, unknown>[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
function without(o: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _, ...rest } = o;
  return rest;
}
const readSplit = (dir: string): { train: number[]; valid: number[]; test: number[] } =>
  JSON.parse(readFileSync(join(dir, 'split.json'), 'utf8')) as {
    train: number[];
    valid: number[];
    test: number[];
  };

before(() => {
  writeFileSync(clsCsv, `smiles,aromatic\n${SMILES.map((s, i) => `${s},${LABELS[i]}`).join('\n')}\n`);
  writeFileSync(
    regCsv,
    `smiles,heavy\n${SMILES.map((s, i) => `${s},${VALUES[i]!.toFixed(2)}`).join('\n')}\n`,
  );
});

after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

test('an interrupted run resumes to exactly the files of an uninterrupted one', async () => {
  const config = resolveConfig([baseLayer]);
  const summaryA = await finetune(config, dirA, { noCache: true });
  assert.equal(summaryA.seeds.length, 1);
  assert.ok(Number.isFinite(summaryA.test.mean), 'test score is defined');

  const ctrl = new AbortController();
  await assert.rejects(
    finetune(config, dirB, {
      noCache: true,
      signal: ctrl.signal,
      onEvent: (e) => {
        if (e.type === 'epoch' && e.epoch === 1) ctrl.abort();
      },
    }),
    (e: unknown) => e instanceof MolgroveError && e.code === 'INTERRUPTED',
  );
  assert.equal(readJsonl(join(dirB, 'seed-0', 'epochs.jsonl')).length, 2);

  const events: TrainEvent[] = [];
  await finetune(config, dirB, { noCache: true, onEvent: (e) => events.push(e) });
  assert.ok(events.some((e) => e.type === 'resume' && e.seed === 0 && e.epoch === 2));
  assert.deepEqual(
    events.filter((e) => e.type === 'epoch').map((e) => (e.type === 'epoch' ? e.epoch : -1)),
    [2, 3, 4],
  );

  const a = join(dirA, 'seed-0');
  const b = join(dirB, 'seed-0');
  assert.deepEqual(
    without(readJson(join(b, 'result.json')), 'secondsPerEpoch'),
    without(readJson(join(a, 'result.json')), 'secondsPerEpoch'),
  );
  const epochsA = readJsonl(join(a, 'epochs.jsonl'));
  const epochsB = readJsonl(join(b, 'epochs.jsonl'));
  assert.equal(epochsA.length, 5);
  assert.deepEqual(
    epochsB.map((r) => without(r, 'seconds')),
    epochsA.map((r) => without(r, 'seconds')),
  );
  assert.ok(readFileSync(join(a, 'model.mgv')).equals(readFileSync(join(b, 'model.mgv'))), 'model.mgv bytes');

  const again: TrainEvent[] = [];
  const summaryA2 = await finetune(config, dirA, { noCache: true, onEvent: (e) => again.push(e) });
  assert.ok(again.some((e) => e.type === 'seed-done' && e.reused));
  assert.ok(!again.some((e) => e.type === 'epoch'));
  assert.deepEqual(summaryA2.seeds, summaryA.seeds);
});

test('a run folder refuses a different configuration, not one written before options were added', async () => {
  const config = resolveConfig([{ ...baseLayer, epochs: 6 }]);
  await assert.rejects(finetune(config, dirA, { noCache: true }), (e: unknown) => e instanceof ConfigError);
  // A config.json from before distCoeff existed: the same run, reused.
  const path = join(dirA, 'config.json');
  const saved = readFileSync(path, 'utf8');
  writeFileSync(path, JSON.stringify(without(JSON.parse(saved) as Record<string, unknown>, 'distCoeff')));
  const again = await finetune(resolveConfig([baseLayer]), dirA, { noCache: true });
  assert.equal(again.seeds.length, 1);
  assert.equal(readFileSync(path, 'utf8'), saved);
});

test("the model file reproduces the run's reported test score", async () => {
  const dir = join(dirA, 'seed-0');
  const result = readJson(join(dir, 'result.json'));
  const { model, info } = await loadModelFile(join(dir, 'model.mgv'));
  assert.equal(info['epoch'], result['bestEpoch']);
  const first = await predictSmiles(model, SMILES);
  const second = await predictSmiles(model, SMILES);
  assert.deepEqual(
    first.errors,
    SMILES.map(() => null),
  );
  assert.deepEqual(second.values, first.values);
  for (const p of first.values) assert.ok(p >= 0 && p <= 1, `probability ${p}`);

  const { test: rows } = readSplit(dir);
  const yTrue = Float32Array.from(rows, (r) => LABELS[r]!);
  const yPred = Float32Array.from(rows, (r) => first.values[r]!);
  const score = evaluate(String(result['metric']), yTrue, yPred, 1).mean;
  assert.ok(Math.abs(score - Number(result['test'])) < 1e-6, `${score} vs ${String(result['test'])}`);
});

test('regression: the model file holds the train scaler and predicts in target units', async () => {
  const dirR = join(tmp, 'runR');
  const config = resolveConfig([{ ...baseLayer, csv: regCsv, epochs: 3 }]);
  const summary = await finetune(config, dirR, { noCache: true });
  assert.equal(summary.metric, 'rmse');
  const dir = join(dirR, 'seed-0');
  const { model } = await loadModelFile(join(dir, 'model.mgv'));
  const scaler = model.spec.scaler;
  assert.ok(scaler, 'regression model has a scaler');

  const train = readSplit(dir).train.map((r) => Math.fround(Number(VALUES[r]!.toFixed(2))));
  const mean = train.reduce((a, b) => a + b, 0) / train.length;
  const std = Math.sqrt(train.reduce((a, b) => a + (b - mean) ** 2, 0) / train.length);
  assert.equal(scaler.mean.length, 1);
  assert.ok(Math.abs(scaler.mean[0]! - mean) < 1e-5, `mean ${scaler.mean[0]} vs ${mean}`);
  assert.ok(Math.abs(scaler.std[0]! - std) < 1e-5, `std ${scaler.std[0]} vs ${std}`);

  const preds = await predictSmiles(model, SMILES);
  const predMean = preds.values.reduce((a, b) => a + b, 0) / preds.values.length;
  assert.ok(
    predMean >= Math.min(...VALUES) && predMean <= Math.max(...VALUES),
    `prediction mean ${predMean} lies in the targets' range`,
  );
});

test('multiple seeds: own splits, results.csv, and mean ± population std', async () => {
  const dirM = join(tmp, 'runM');
  const config = resolveConfig([{ ...baseLayer, epochs: 2, seeds: [0, 1], splitSeeds: true }]);
  const summary = await finetune(config, dirM, { noCache: true });
  const s0 = readFileSync(join(dirM, 'seed-0', 'split.json'), 'utf8');
  const s1 = readFileSync(join(dirM, 'seed-1', 'split.json'), 'utf8');
  assert.notEqual(s0, s1);

  const lines = readFileSync(join(dirM, 'results.csv'), 'utf8').trim().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /^seed,split_seed,best_epoch,valid_roc-auc,test_roc-auc,epochs,seconds_per_epoch$/);

  const tests = summary.seeds.map((r) => r.test);
  assert.deepEqual(
    summary.seeds.map((r) => r.seed),
    [0, 1],
  );
  assert.deepEqual(
    tests,
    [0, 1].map((s) => Number(readJson(join(dirM, `seed-${s}`, 'result.json'))['test'])),
  );
  const mean = (tests[0]! + tests[1]!) / 2;
  const std = Math.abs(tests[0]! - tests[1]!) / 2;
  assert.ok(Math.abs(summary.test.mean - mean) < 1e-12);
  assert.ok(Math.abs(summary.test.std - std) < 1e-12);
  const stored = readJson(join(dirM, 'results.json')) as { test: { mean: number; std: number } };
  assert.deepEqual(stored.test, summary.test);
});

test('seeds trained in parallel worker threads give exactly the files of a sequential run', async () => {
  const config = resolveConfig([{ ...baseLayer, epochs: 2, seeds: [0, 1, 2], splitSeeds: true }]);
  const seq = join(tmp, 'runSeq');
  const par = join(tmp, 'runPar');
  const events: TrainEvent[] = [];
  const a = await finetune(config, seq, { noCache: true, jobs: 1 });
  const b = await finetune(config, par, { noCache: true, jobs: 2, onEvent: (e) => events.push(e) });
  const timeless = (s: typeof a) => s.seeds.map((r) => ({ ...r, secondsPerEpoch: 0 }));
  assert.deepEqual(timeless(b), timeless(a));
  for (const seed of [0, 1, 2]) {
    for (const file of ['model.mgv', 'split.json']) {
      const x = readFileSync(join(seq, `seed-${seed}`, file));
      const y = readFileSync(join(par, `seed-${seed}`, file));
      assert.ok(x.equals(y), `seed-${seed}/${file} differs`);
    }
  }
  // Every seed's events reach the caller from the workers.
  for (const seed of [0, 1, 2]) {
    assert.equal(events.filter((e) => e.type === 'epoch' && e.seed === seed).length, 2);
    assert.ok(events.some((e) => e.type === 'seed-done' && e.result.seed === seed));
  }
  // A failure inside a worker surfaces with its own error class code and message.
  const bad = resolveConfig([{ ...baseLayer, csv: join(tmp, 'missing.csv'), seeds: [0, 1] }]);
  await assert.rejects(
    finetune(bad, join(tmp, 'runBad'), { noCache: true, jobs: 2 }),
    (e: unknown) => e instanceof ConfigError && /missing\.csv/.test(e.message),
  );
});

test('a last training batch of one single-atom molecule joins the previous batch (batch norm needs 2 rows)', () => {
  // Graph k has atoms[k] atoms; dataset row r is graph r.
  const atoms = [3, 1, 2, 1, 5];
  const offsets = Int32Array.from([
    0,
    ...atoms.map((_, k) => atoms.slice(0, k + 1).reduce((a, b) => a + b, 0)),
  ]);
  const data = {
    graphs: { packed: { atomOffsets: offsets } },
    graphIndex: Int32Array.from(atoms.keys()),
  } as unknown as TaskData;
  assert.deepEqual(trainingBatches(data, [0, 2, 4, 1], 2), [
    [0, 2],
    [4, 1],
  ]);
  assert.deepEqual(
    trainingBatches(data, [0, 2, 4, 1, 3], 2),
    [
      [0, 2],
      [4, 1, 3],
    ],
    'single atom: merged',
  );
  assert.deepEqual(trainingBatches(data, [0, 2, 1, 4, 2], 2), [[0, 2], [1, 4], [2]], 'two atoms: kept');
  assert.deepEqual(trainingBatches(data, [3], 2), [[3]], 'nothing to merge into');
});

test('protocol presets resolve, flags override them, unknown keys are named', () => {
  const hu = resolveConfig([{ protocol: 'hu2020', dataset: 'bbbp' }]);
  assert.equal(hu.batchSize, 32);
  assert.equal(hu.epochs, 100);
  assert.equal(hu.lr, 1e-3);
  assert.equal(hu.dropout, 0.5);
  assert.equal(hu.seeds.length, 10);
  assert.equal(hu.split, 'scaffold');
  assert.equal(hu.schedule, 'constant');

  const grover = resolveConfig([{ protocol: 'grover', dataset: 'bbbp' }]);
  assert.equal(grover.split, 'balanced_scaffold');
  assert.deepEqual(grover.seeds, [0, 1, 2]);
  assert.equal(grover.splitSeeds, true);
  assert.equal(grover.schedule, 'noam');

  const flagged = resolveConfig([
    { protocol: 'hu2020', dataset: 'bbbp' },
    { epochs: 7, dropout: undefined },
  ]);
  assert.equal(flagged.epochs, 7);
  assert.equal(flagged.dropout, 0.5, 'an undefined flag does not override');

  assert.throws(
    () => resolveConfig([{ dataset: 'bbbp', bogusKey: 1 }], 'my.yaml'),
    (e: unknown) => e instanceof ConfigError && /bogusKey/.test(e.message) && /my\.yaml/.test(e.message),
  );
});

test('an undefined score (NaN) stays NaN when a finished or interrupted run is read back', async () => {
  // Ten molecules: the valid and test parts hold one row each, so ROC-AUC is undefined.
  const smallCsv = join(tmp, 'small.csv');
  const small = SMILES.slice(0, 10);
  writeFileSync(smallCsv, `smiles,aromatic\n${small.map((s, i) => `${s},${LABELS[i]}`).join('\n')}\n`);
  const config = resolveConfig([
    { ...baseLayer, csv: smallCsv, sizes: [0.8, 0.1, 0.1], epochs: 3, seeds: [0, 1], splitSeeds: true },
  ]);
  const dirN = join(tmp, 'runN');
  const fresh = await finetune(config, dirN, { noCache: true });
  assert.ok(Number.isNaN(fresh.test.mean));
  const csvFresh = readFileSync(join(dirN, 'results.csv'), 'utf8');
  const reused = await finetune(config, dirN, { noCache: true });
  assert.ok(Number.isNaN(reused.test.mean), `reused mean ${reused.test.mean}`);
  assert.ok(reused.seeds.every((r) => Number.isNaN(r.test) && Number.isNaN(r.valid)));
  assert.equal(readFileSync(join(dirN, 'results.csv'), 'utf8'), csvFresh);

  const dirI = join(tmp, 'runI');
  const ctrl = new AbortController();
  await assert.rejects(
    finetune(config, dirI, {
      noCache: true,
      signal: ctrl.signal,
      onEvent: (e) => {
        if (e.type === 'epoch' && e.epoch === 0) ctrl.abort();
      },
    }),
    (e: unknown) => e instanceof MolgroveError && e.code === 'INTERRUPTED',
  );
  const resumed = await finetune(config, dirI, { noCache: true });
  assert.ok(Number.isNaN(resumed.test.mean), `resumed mean ${resumed.test.mean}`);
  assert.deepEqual(
    resumed.seeds.map((r) => ({ ...r, secondsPerEpoch: 0 })),
    fresh.seeds.map((r) => ({ ...r, secondsPerEpoch: 0 })),
  );
});
