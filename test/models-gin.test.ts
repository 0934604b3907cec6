import { fitTiny } from './helpers/overfit.js';
// Hu et al.'s GIN on molgrove's modules: output shapes, invariance to the order of atoms and of
// molecules in a batch, parameter names, and that it fits a tiny labelled set.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { getFeaturizer } from '../src/chem/featurizers/index.js';
import { loadRDKit } from '../src/chem/rdkit.js';
import { batchGraphs } from '../src/data/batch.js';
import type { MolGraph } from '../src/data/molgraph.js';
import { featurizeSmiles } from '../src/data/molgraph.js';
import { createGin, GraphView } from '../src/models/index.js';
import * as T from '../src/tensor/index.js';
import { permuteMolecule } from './helpers/molecules.js';

const SMILES = [
  'CCO',
  'c1ccccc1O',
  'CC(=O)Nc1ccc(O)cc1',
  'C[C@H](N)C(=O)O',
  'FC(F)(F)c1ccncc1',
  'C/C=C/C#N',
  'O=C=O',
  'CCN(CC)CC',
];
let graphs: MolGraph[] = [];

before(async () => {
  await loadRDKit();
  graphs = SMILES.map((s) => featurizeSmiles(s, getFeaturizer('hu')));
});

test('GIN: logits per molecule and task; eval output is invariant to atom order and molecule order', () => {
  const model = createGin({ numTasks: 3, seed: 1, dim: 32, numLayers: 3 }).eval();
  const batch = batchGraphs(graphs);
  const out = T.noGrad(() => model.forward(batch));
  assert.deepEqual(out.shape, [SMILES.length, 3]);
  const g = graphs[2]!;
  const perm = Array.from({ length: g.numAtoms }, (_, i) => (i * 5 + 3) % g.numAtoms);
  assert.equal(new Set(perm).size, g.numAtoms);
  const swapped = batchGraphs([permuteMolecule(g, perm), graphs[0]!]);
  const out2 = T.noGrad(() => model.forward(swapped));
  for (let t = 0; t < 3; t++) {
    assert.ok(Math.abs(out2.data[t]! - out.data[2 * 3 + t]!) < 1e-4, 'permuted atoms, same logits');
    assert.ok(Math.abs(out2.data[3 + t]! - out.data[t]!) < 1e-4, 'molecule order does not matter');
  }
});

test('GIN: per-edge messages give the same outputs and gradients as the fused aggregation', () => {
  const view = new GraphView(batchGraphs(graphs));
  const fused = createGin({ numTasks: 2, seed: 5, dim: 16, numLayers: 2 }).eval();
  const perEdge = createGin({ numTasks: 2, seed: 5, dim: 16, numLayers: 2, perEdgeMessages: true }).eval();
  const a = fused.forward(view);
  const b = perEdge.forward(view);
  for (let i = 0; i < a.size; i++) assert.ok(Math.abs(a.data[i]! - b.data[i]!) < 1e-5);
  T.backward(T.sum(a));
  T.backward(T.sum(b));
  const ga = fused.namedParameters();
  const gb = perEdge.namedParameters();
  ga.forEach(([name, p], k) => {
    const q = gb[k]![1];
    for (let i = 0; i < p.size; i++) assert.ok(Math.abs(p.grad![i]! - q.grad![i]!) < 1e-4, `${name}[${i}]`);
  });
});

test("GIN: parameter names follow Hu et al.'s module layout", () => {
  const model = createGin({ numTasks: 12, seed: 0, numLayers: 2, dim: 8 });
  const names = model.namedParameters().map(([n]) => n);
  for (const n of [
    'gnn.x_embedding1.weight',
    'gnn.x_embedding2.weight',
    'gnn.gnns.0.edge_embedding1.weight',
    'gnn.gnns.1.mlp.1.bias',
    'gnn.batch_norms.1.weight',
    'graph_pred_linear.weight',
  ]) {
    assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
  }
  assert.deepEqual(
    model
      .namedBuffers()
      .map(([n]) => n)
      .slice(0, 2),
    ['gnn.batch_norms.0.running_mean', 'gnn.batch_norms.0.running_var'],
  );
  // The 5×300 GIN with 12 tasks: input embeddings (120 atom types, 4 chirality tags), per layer
  // edge embeddings (6 + 3 rows), MLP 300→600→300 and batch-norm affine, then the linear head.
  const hu = createGin({ numTasks: 12, seed: 0 });
  const perLayer = 6 * 300 + 3 * 300 + (300 * 600 + 600) + (600 * 300 + 300) + 2 * 300;
  assert.equal(hu.parameterCount(), 120 * 300 + 4 * 300 + 5 * perLayer + 300 * 12 + 12);
});

test('GIN: fits 8 molecules with 2 tasks (loss falls by 20×), with missing labels masked', () => {
  const model = createGin({ numTasks: 2, seed: 3, dim: 32, numLayers: 3, dropout: 0 });
  const view = new GraphView(batchGraphs(graphs));
  const y = Float32Array.from([1, 0, 0, Number.NaN, 1, 1, 0, 1, 1, 0, 0, 0, Number.NaN, 1, 1, 1]);
  const { first, last } = fitTiny(model.parameters(), () => T.bceWithLogits(model.forward(view), y), {
    maxSteps: 151,
  });
  assert.ok(last < first / 20, `loss ${first} → ${last}`);
});
