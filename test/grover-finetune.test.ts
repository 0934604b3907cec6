// GROVER's fine-tuning task on molgrove's model: the GTransformer's two atom views, one shared
// readout, one FFN head per view; the training loss (each view's loss + dist_coff × their squared
// difference, labelled entries only) against hand values; prediction = mean of the views'
// probabilities; and a short CLI fine-tune whose model file predicts what the run reported.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { getFeaturizer } from '../src/chem/featurizers/index.js';
import { loadRDKit } from '../src/chem/rdkit.js';
import { batchGraphs } from '../src/data/batch.js';
import { featurizeSmiles } from '../src/data/molgraph.js';
import { DEFAULT_ENCODER_OPTIONS } from '../src/models/encoders/registry.js';
import { GROVER_PRESETS } from '../src/models/grover/encoder.js';
import { inputSpecFor } from '../src/models/inputs.js';
import { loadModelFile } from '../src/models/model-file-node.js';
import { MoleculeModel } from '../src/models/molecule-model.js';
import type { ModelSpec } from '../src/models/spec.js';
import * as T from '../src/tensor/index.js';
import { viewsLoss } from '../src/train/objective.js';
import { runCli } from './helpers/cli.js';
import { writeAromaticCsv } from './helpers/molecules.js';

const tmp = mkdtempSync(join(tmpdir(), 'molgrove-grover-ft-'));
process.env['MOLGROVE_CACHE_DIR'] = join(tmp, 'cache');
after(() => rmSync(tmp, { recursive: true, force: true }));

const tiny = { ...GROVER_PRESETS.tiny };
const spec: ModelSpec = {
  encoder: {
    arch: 'grover',
    options: {
      ...DEFAULT_ENCODER_OPTIONS,
      dim: tiny.hidden,
      layers: tiny.depth,
      heads: tiny.heads,
      dropout: 0,
      grover: tiny,
    },
  },
  featurizer: 'grover',
  input: inputSpecFor('grover', 151, 14),
  readout: { kind: 'self_attentive', attnHidden: 4, attnOut: 2 },
  molFeatures: null,
  head: { layers: 2, hidden: 8, dropout: 0, act: 'relu' },
  taskType: 'classification',
  taskNames: ['a', 'b'],
  scaler: null,
};

test('two views, one shared readout, a head per view; prediction is the mean of their probabilities', async () => {
  await loadRDKit();
  const model = new MoleculeModel(spec, 1).eval();
  const names = model.namedParameters().map(([n]) => n);
  assert.ok(
    names.some((n) => n.startsWith('encoder.node_blocks.0.heads.0.mpn_q.W_h')),
    'GROVER names',
  );
  assert.ok(names.some((n) => n.startsWith('head_atom_from_atom.')));
  assert.ok(names.some((n) => n.startsWith('head_atom_from_bond.')));
  assert.equal(names.filter((n) => n.startsWith('readout.')).length > 0, true);
  assert.ok(!names.some((n) => n.startsWith('head.')));
  const f = getFeaturizer('grover');
  const graphs = batchGraphs(['CCO', 'c1ccccc1O', 'CC(=O)N'].map((s) => featurizeSmiles(s, f)));
  const input = { graphs, molFeatures: null, size: 3 };
  const [a, b] = T.noGrad(() => model.forwardViews(input).map((t) => t.data.slice()));
  const p = model.predict(input);
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  p.forEach((v, i) => {
    assert.ok(Math.abs(v - (sig(a![i]!) + sig(b![i]!)) / 2) < 1e-6, `entry ${i}`);
  });
  assert.ok(
    a!.some((v, i) => Math.abs(v - b![i]!) > 1e-4),
    'the views differ',
  );
});

test('the loss: each view scored, plus dist_coff × their mean squared difference on labelled entries', () => {
  const a = T.tensor([0.5, -1, 2, 0], [2, 2]);
  const b = T.tensor([1, 0, -1, 3], [2, 2]);
  const y = Float32Array.from([1, Number.NaN, 0, 1]);
  const bce = (x: number, t: number) => Math.log(1 + Math.exp(-x)) + (1 - t) * x;
  const labelled = [0, 2, 3];
  const mean = (f: (i: number) => number) => labelled.reduce((s, i) => s + f(i), 0) / labelled.length;
  const want =
    mean((i) => bce(a.data[i]!, y[i]!)) +
    mean((i) => bce(b.data[i]!, y[i]!)) +
    0.1 * mean((i) => (a.data[i]! - b.data[i]!) ** 2);
  assert.ok(Math.abs(viewsLoss([a, b], y, true, 0.1).item() - want) < 1e-5);
  const mse = (i: number) => (a.data[i]! - y[i]!) ** 2;
  const wantReg =
    mean(mse) + mean((i) => (b.data[i]! - y[i]!) ** 2) + 0.5 * mean((i) => (a.data[i]! - b.data[i]!) ** 2);
  assert.ok(Math.abs(viewsLoss([a, b], y, false, 0.5).item() - wantReg) < 1e-5);
  assert.ok(Math.abs(viewsLoss([a], y, true, 0.1).item() - mean((i) => bce(a.data[i]!, y[i]!))) < 1e-6);
});

test('molgrove finetune --model grover: a short run, its model file rebuilds the GTransformer', async () => {
  const csv = writeAromaticCsv(join(tmp, 'arom.csv'), 10);
  const out = join(tmp, 'run');
  const r = await runCli([
    'finetune',
    '--csv',
    csv,
    '--model',
    'grover',
    '--features',
    'grover',
    '--hidden',
    '16',
    '--layers',
    '3',
    '--heads',
    '2',
    '--readout',
    'self_attentive',
    '--ffn-layers',
    '2',
    '--split',
    'random',
    '--epochs',
    '2',
    '--out',
    out,
    '--json',
    '--jobs',
    '1',
  ]);
  assert.equal(r.code, 0, r.err);
  const summary = JSON.parse(r.out) as { arch: string };
  assert.equal(summary.arch, 'grover');
  const { model } = await loadModelFile(join(out, 'seed-0', 'model.mgv'));
  assert.equal(model.spec.encoder?.options.grover?.hidden, 16);
  assert.equal(model.spec.encoder?.options.grover?.attention, 'fixed');
  assert.equal(model.heads.length, 2);
  const bad = await runCli([
    'finetune',
    '--csv',
    csv,
    '--model',
    'grover',
    '--arch',
    'gin',
    '--out',
    join(tmp, 'x'),
  ]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /disagree/);
});
