import { fitTiny } from './helpers/overfit.js';
// chemprop's D-MPNN encoder: shapes and parameter names, agreement with a plain-JS transcription of
// chemprop's equations written over chemprop's own index maps (a2b, b2a, b2revb) with explicit
// per-bond loops, invariance to atom/bond/molecule order, finite-difference gradients, and fitting
// a tiny labelled set with chemprop float features and with Hu et al.'s codes.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { getFeaturizer } from '../src/chem/featurizers/index.js';
import { loadRDKit } from '../src/chem/rdkit.js';
import { batchGraphs, type GraphBatch } from '../src/data/batch.js';
import type { MolGraph } from '../src/data/molgraph.js';
import { featurizeSmiles } from '../src/data/molgraph.js';
import { DMPNNEncoder, type DmpnnOptions, dmpnnFactory } from '../src/models/encoders/dmpnn.js';
import { DEFAULT_ENCODER_OPTIONS, GraphView, type InputSpec, Linear } from '../src/models/index.js';
import * as T from '../src/tensor/index.js';
import { gradcheck } from './helpers/gradcheck.js';
import { permuteMolecule } from './helpers/molecules.js';

// Includes a lone heavy atom and two disconnected ions: atoms without bonds.
const SMILES = [
  'CCO',
  'c1ccccc1O',
  'CC(=O)Nc1ccc(O)cc1',
  'C',
  'FC(F)(F)c1ccncc1',
  '[Na+].[Cl-]',
  'O=C=O',
  'CCN(CC)CC',
];
let chemprop: MolGraph[] = [];
let hu: MolGraph[] = [];
let spec: InputSpec = { kind: 'codes' };

before(async () => {
  await loadRDKit();
  chemprop = SMILES.map((s) => featurizeSmiles(s, getFeaturizer('chemprop')));
  hu = SMILES.map((s) => featurizeSmiles(s, getFeaturizer('hu')));
  spec = { kind: 'features', atomDim: chemprop[0]!.atomDim, bondDim: chemprop[0]!.bondDim };
});

function encoder(input: InputSpec, o: Partial<DmpnnOptions>, seed: number): DMPNNEncoder {
  return new DMPNNEncoder(input, { dim: 8, layers: 3, dropout: 0, act: 'relu', ...o }, new T.Rng(seed));
}

/** chemprop's MPNEncoder forward (bond messages), spelled out per bond and atom in float64. */
function referenceDmpnn(b: GraphBatch, enc: DMPNNEncoder, depth: number): Float64Array {
  const n = b.numAtoms;
  const m = b.numEdges;
  const A = b.atomDim;
  const B = b.bondDim;
  const H = enc.outDim;
  // chemprop's maps: b2a = source atom, a2b = incoming bonds, b2revb = reverse bond.
  const b2a: number[] = [];
  const a2b: number[][] = Array.from({ length: n }, () => []);
  const b2revb: number[] = [];
  for (let e = 0; e < m; e++) {
    b2a.push(b.edgeIndex[e]!);
    a2b[b.edgeIndex[m + e]!]!.push(e);
    b2revb.push(b.revEdge[e]!);
  }
  const lin = (layer: Linear, x: number[]): number[] => {
    const w = layer.weight.data;
    const k = layer.inFeatures;
    const out: number[] = [];
    for (let o = 0; o < layer.outFeatures; o++) {
      let s = layer.bias ? layer.bias.data[o]! : 0;
      for (let j = 0; j < k; j++) s += w[o * k + j]! * x[j]!;
      out.push(s);
    }
    return out;
  };
  const relu = (x: number[]): number[] => x.map((v) => Math.max(0, v));
  const atomRow = (a: number): number[] => Array.from(b.atomFeatures.subarray(a * A, (a + 1) * A));
  const fBonds = Array.from({ length: m }, (_, e) => [
    ...atomRow(b2a[e]!),
    ...Array.from(b.bondFeatures.subarray(e * B, (e + 1) * B)),
  ]);
  const input = fBonds.map((f) => lin(enc.W_i, f));
  let message = input.map(relu);
  const sumIncoming = (msg: number[][]): number[][] =>
    a2b.map((bonds) => {
      const s = new Array<number>(H).fill(0);
      for (const e of bonds) for (let j = 0; j < H; j++) s[j]! += msg[e]![j]!;
      return s;
    });
  for (let d = 0; d < depth - 1; d++) {
    const aMessage = sumIncoming(message);
    message = message.map((_, e) => {
      const diff = aMessage[b2a[e]!]!.map((v, j) => v - message[b2revb[e]!]![j]!);
      const wh = lin(enc.W_h, diff);
      return relu(input[e]!.map((v, j) => v + wh[j]!));
    });
  }
  const aMessage = sumIncoming(message);
  const out = new Float64Array(n * H);
  for (let a = 0; a < n; a++) out.set(relu(lin(enc.W_o, [...atomRow(a), ...aMessage[a]!])), a * H);
  return out;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = 1e-4): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    assert.ok(Math.abs(actual[i]! - e) <= tol * (1 + Math.abs(e)), `${what}[${i}]: ${actual[i]} vs ${e}`);
  }
}

test('D-MPNN: node embeddings [numNodes, dim]; chemprop parameter names; factory defaults', () => {
  const enc = encoder(spec, {}, 1).eval();
  const view = new GraphView(batchGraphs(chemprop));
  const h = T.noGrad(() => enc.forward(view));
  assert.deepEqual(h.shape, [view.numNodes, 8]);
  assert.ok(h.data.every(Number.isFinite));
  const A = spec.kind === 'features' ? spec.atomDim : 0;
  const B = spec.kind === 'features' ? spec.bondDim : 0;
  assert.deepEqual(
    enc.namedParameters().map(([n, p]) => [n, p.shape]),
    [
      ['W_i.weight', [8, A + B]],
      ['W_h.weight', [8, 8]],
      ['W_o.weight', [8, A + 8]],
      ['W_o.bias', [8]],
    ],
  );
  const biased = encoder(spec, { bias: true }, 1);
  assert.deepEqual(
    biased.namedParameters().map(([n]) => n),
    ['W_i.weight', 'W_i.bias', 'W_h.weight', 'W_h.bias', 'W_o.weight', 'W_o.bias'],
  );
  const codes = encoder({ kind: 'codes' }, {}, 1);
  assert.deepEqual(
    codes.namedParameters().map(([n, p]) => [n, p.shape]),
    [
      ['x_embedding1.weight', [120, 8]],
      ['x_embedding2.weight', [4, 8]],
      ['edge_embedding1.weight', [6, 8]],
      ['edge_embedding2.weight', [3, 8]],
      ['W_i.weight', [8, 16]],
      ['W_h.weight', [8, 8]],
      ['W_o.weight', [8, 16]],
      ['W_o.bias', [8]],
    ],
  );
  const hc = T.noGrad(() => codes.eval().forward(new GraphView(batchGraphs(hu))));
  assert.deepEqual(hc.shape, [view.numNodes, 8]);

  assert.equal(dmpnnFactory.name, 'dmpnn');
  assert.deepEqual(dmpnnFactory.aliases, ['chemprop']);
  const o = { ...DEFAULT_ENCODER_OPTIONS, ...dmpnnFactory.defaults };
  const full = dmpnnFactory.create(spec, o, new T.Rng(0));
  assert.equal(full.outDim, 300);
  assert.equal((full as DMPNNEncoder).options.layers, 3);
  assert.equal(o.dropout, 0);
  // chemprop: W_i (147 → 300, no bias), W_h (300 → 300, no bias), W_o (133 + 300 → 300).
  assert.equal(full.parameterCount(), 300 * (A + B) + 300 * 300 + 300 * (A + 300) + 300);
  assert.throws(() => encoder(spec, { layers: 0 }, 0), /depth/);
});

test("D-MPNN: matches a per-bond transcription of chemprop's MPNEncoder (depth 1–4, with and without bias)", () => {
  const batch = batchGraphs(chemprop);
  const view = new GraphView(batch);
  for (const [layers, bias] of [
    [3, false],
    [3, true],
    [1, false],
    [4, true],
  ] as const) {
    const enc = encoder(spec, { dim: 6, layers, bias }, 10 + layers).eval();
    const h = T.noGrad(() => enc.forward(view));
    assertClose(h.data, referenceDmpnn(batch, enc, layers), `depth ${layers} bias ${bias}`);
  }
  // A batch with no bonds at all: every atom's message sum is zero.
  const lone = batchGraphs([chemprop[3]!, chemprop[5]!]);
  assert.equal(lone.numEdges, 0);
  const enc = encoder(spec, { dim: 6 }, 4).eval();
  const h = T.noGrad(() => enc.forward(new GraphView(lone)));
  assert.deepEqual(h.shape, [3, 6]);
  assertClose(h.data, referenceDmpnn(lone, enc, 3), 'no bonds');
});

test('D-MPNN: invariant to atom numbering, bond order and molecule order (eval mode)', () => {
  for (const [input, graphs] of [
    [spec, chemprop],
    [{ kind: 'codes' } as const, hu],
  ] as const) {
    const enc = encoder(input, { dropout: 0.3 }, 2).eval();
    const out = T.noGrad(() => enc.forward(new GraphView(batchGraphs(graphs))));
    const k = 2; // CC(=O)Nc1ccc(O)cc1
    const g = graphs[k]!;
    const perm = Array.from({ length: g.numAtoms }, (_, i) => (i * 5 + 3) % g.numAtoms);
    assert.equal(new Set(perm).size, g.numAtoms);
    const swapped = batchGraphs([graphs[5]!, permuteMolecule(g, perm), graphs[0]!]);
    const out2 = T.noGrad(() => enc.forward(new GraphView(swapped)));
    const H = enc.outDim;
    const start = (list: readonly MolGraph[], i: number): number =>
      list.slice(0, i).reduce((s, x) => s + x.numAtoms, 0);
    const rowsOf = (t: T.Tensor, first: number, count: number): Float32Array =>
      t.data.slice(first * H, (first + count) * H);
    const off2 = graphs[5]!.numAtoms;
    for (let i = 0; i < g.numAtoms; i++) {
      assertClose(rowsOf(out2, off2 + perm[i]!, 1), rowsOf(out, start(graphs, k) + i, 1), `atom ${i}`, 1e-5);
    }
    assertClose(rowsOf(out2, 0, 2), rowsOf(out, start(graphs, 5), 2), 'ions', 1e-5);
    assertClose(rowsOf(out2, off2 + g.numAtoms, 3), rowsOf(out, 0, 3), 'ethanol', 1e-5);
  }
});

test('D-MPNN: analytic gradients match finite differences (W_h, W_i, W_o; codes embeddings)', () => {
  const view = new GraphView(batchGraphs([chemprop[0]!, chemprop[4]!, chemprop[5]!]));
  // tanh keeps the loss smooth, so central differences do not straddle a ReLU kink.
  const enc = encoder(spec, { dim: 4, act: 'tanh', bias: true }, 6);
  gradcheck('dmpnn W_h', () => enc.forward(view), [enc.W_h.weight, enc.W_h.bias!], { eps: 1e-2 });
  gradcheck('dmpnn W_i, W_o', () => enc.forward(view), [enc.W_i.bias!, enc.W_o.weight], { eps: 1e-2 });
  const codes = encoder({ kind: 'codes' }, { dim: 3, act: 'tanh' }, 7);
  const hv = new GraphView(batchGraphs([hu[0]!, hu[6]!]));
  const [, e1] = codes.namedParameters().find(([n]) => n === 'edge_embedding1.weight')!;
  gradcheck('dmpnn codes', () => codes.forward(hv), [codes.W_h.weight, e1], { eps: 1e-2 });
});

test('D-MPNN: fits 8 molecules × 2 tasks (loss falls 20×) with chemprop features and with Hu codes', () => {
  const y = Float32Array.from([1, 0, 0, Number.NaN, 1, 1, 0, 1, 1, 0, 0, 0, Number.NaN, 1, 1, 1]);
  for (const [name, input, graphs] of [
    ['chemprop', spec, chemprop],
    ['hu', { kind: 'codes' } as const, hu],
  ] as const) {
    const rng = new T.Rng(3);
    const enc = new DMPNNEncoder(input, { dim: 32, layers: 3, dropout: 0, act: 'relu' }, rng);
    const head = new Linear(enc.outDim, 2, rng);
    const view = new GraphView(batchGraphs(graphs));
    const { first, last, steps } = fitTiny([...enc.parameters(), ...head.parameters()], () =>
      T.bceWithLogits(head.forward(T.segmentMean(enc.forward(view), view.graphIndex, view.numGraphs)), y),
    );
    assert.ok(last <= first / 20, `${name}: loss ${first} → ${last} after ${steps} steps`);
  }
});
