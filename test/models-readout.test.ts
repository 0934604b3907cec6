// Graph readouts: the attention pooling of Hu et al. (PyG GlobalAttention) and GROVER's
// self-attentive readout against per-molecule plain-JS versions of their equations, finite-difference
// gradients, invariance to atom order (molecules may interleave), one-atom and empty molecules, the
// parameter-free kinds, the name registry, and the predictor's use of readout modules.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GraphBatch } from '../src/data/batch.js';
import { ConfigError } from '../src/errors.js';
import { createGin, GraphView } from '../src/models/index.js';
import {
  AttentionReadout,
  createReadout,
  getReadout,
  READOUTS,
  readout,
  readoutNames,
  SelfAttentiveReadout,
} from '../src/models/readout.js';
import * as T from '../src/tensor/index.js';
import { gradcheck, randTensor } from './helpers/gradcheck.js';

/** A batch with no bonds whose atoms belong to molecules by `graphIndex` (readouts read nothing else). */
function viewOf(graphIndex: readonly number[], numGraphs: number): GraphView {
  const n = graphIndex.length;
  const batch: GraphBatch = {
    numGraphs,
    numAtoms: n,
    numEdges: 0,
    atomDim: 0,
    bondDim: 0,
    atomFeatures: new Float32Array(0),
    bondFeatures: new Float32Array(0),
    edgeIndex: new Int32Array(0),
    revEdge: new Int32Array(0),
    atomCodes: new Int32Array(2 * n),
    bondCodes: new Int32Array(0),
    graphIndex: Int32Array.from(graphIndex),
    atomOffsets: new Int32Array(numGraphs + 1),
    edgeOffsets: new Int32Array(numGraphs + 1),
  };
  return new GraphView(batch);
}

/** Rows of h (width d) that belong to molecule g, in batch order. */
function rowsOf(h: T.Tensor, g: GraphView, mol: number): number[][] {
  const d = h.shape[1]!;
  const rows: number[][] = [];
  g.graphIndex.forEach((k, i) => {
    if (k === mol) rows.push(Array.from(h.data.subarray(i * d, (i + 1) * d)));
  });
  return rows;
}

const softmax = (x: number[]): number[] => {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

/** PyG GlobalAttention per molecule: gate = w·x + b, softmax over the atoms, Σ gate·x. */
function attentionRef(h: T.Tensor, g: GraphView, r: AttentionReadout): number[] {
  const d = r.inDim;
  const w = r.gate.weight.data;
  const b = r.gate.bias!.data[0]!;
  const out: number[] = [];
  for (let mol = 0; mol < g.numGraphs; mol++) {
    const X = rowsOf(h, g, mol);
    const a = softmax(X.map((x) => x.reduce((s, v, j) => s + v * w[j]!, b)));
    for (let j = 0; j < d; j++) out.push(X.reduce((s, x, i) => s + a[i]! * x[j]!, 0));
  }
  return out;
}

/** GROVER's SelfAttention + Readout per molecule: A = softmax_row(w2·tanh(w1·Xᵀ)), flatten(A·X). */
function selfAttentiveRef(h: T.Tensor, g: GraphView, r: SelfAttentiveReadout): number[] {
  const d = r.inDim;
  const w1 = r.attn.w1.data;
  const w2 = r.attn.w2.data;
  const Hh = r.attnHidden;
  const K = r.attnOut;
  const out: number[] = [];
  for (let mol = 0; mol < g.numGraphs; mol++) {
    const X = rowsOf(h, g, mol);
    // t = tanh(w1·Xᵀ): [Hh, n]
    const t = Array.from({ length: Hh }, (_, p) =>
      X.map((x) => Math.tanh(x.reduce((s, v, j) => s + w1[p * d + j]! * v, 0))),
    );
    for (let k = 0; k < K; k++) {
      const scores = X.map((_, i) => t.reduce((s, row, p) => s + w2[k * Hh + p]! * row[i]!, 0));
      const a = X.length > 0 ? softmax(scores) : [];
      for (let j = 0; j < d; j++) out.push(X.reduce((s, x, i) => s + a[i]! * x[j]!, 0));
    }
  }
  return out;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = 1e-5): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    assert.ok(Math.abs(actual[i]! - e) <= tol * (1 + Math.abs(e)), `${what}[${i}]: ${actual[i]} vs ${e}`);
  }
}

// Molecules interleave (1 and 2), molecule 3 has one atom, molecule 4 none.
const GRAPH_INDEX = [0, 0, 0, 1, 2, 2, 1, 2, 2, 3, 1];
const NUM_GRAPHS = 5;
const D = 5;

test('attention readout equals per-molecule GlobalAttention; one atom gives its row; empty gives zeros', () => {
  const g = viewOf(GRAPH_INDEX, NUM_GRAPHS);
  const rng = new T.Rng(1);
  const r = new AttentionReadout(D, rng);
  const h = randTensor(rng, [GRAPH_INDEX.length, D], -2, 2);
  const out = r.forward(h, g);
  assert.deepEqual(out.shape, [NUM_GRAPHS, D]);
  assert.equal(r.outDim, D);
  assertClose(out.data, attentionRef(h, g, r), 'attention');
  assertClose(out.data.subarray(3 * D, 4 * D), h.data.subarray(9 * D, 10 * D), 'one atom');
  assert.deepEqual(Array.from(out.data.subarray(4 * D)), new Array(D).fill(0));
  assert.deepEqual(
    r.namedParameters().map(([n, p]) => [n, p.shape]),
    [
      ['gate_nn.weight', [1, D]],
      ['gate_nn.bias', [1]],
    ],
  );
});

test("self-attentive readout equals GROVER's per-molecule flatten(softmax(w2·tanh(w1·Hᵀ))·H)", () => {
  const g = viewOf(GRAPH_INDEX, NUM_GRAPHS);
  const rng = new T.Rng(2);
  const r = new SelfAttentiveReadout(D, rng, { attnHidden: 6, attnOut: 3 });
  const h = randTensor(rng, [GRAPH_INDEX.length, D], -2, 2);
  const out = r.forward(h, g);
  assert.deepEqual(out.shape, [NUM_GRAPHS, 3 * D]);
  assert.equal(r.outDim, 3 * D);
  assertClose(out.data, selfAttentiveRef(h, g, r), 'self-attentive');
  // One atom: every head's weight is 1, so each head block is the atom's row.
  for (let k = 0; k < 3; k++) {
    assertClose(
      out.data.subarray(3 * 3 * D + k * D, 3 * 3 * D + (k + 1) * D),
      h.data.subarray(9 * D, 10 * D),
      'one',
    );
  }
  assert.ok(
    out.data.subarray(4 * 3 * D).every((v) => v === 0),
    'empty molecule → zeros',
  );
  assert.deepEqual(
    r.namedParameters().map(([n, p]) => [n, p.shape]),
    [
      ['attn.w1', [6, D]],
      ['attn.w2', [3, 6]],
    ],
  );
  // GROVER's defaults and xavier-normal scale: std √(2 / (fanIn + fanOut)).
  const big = new SelfAttentiveReadout(300, new T.Rng(3));
  assert.equal(big.attnHidden, 128);
  assert.equal(big.attnOut, 4);
  assert.equal(big.outDim, 1200);
  const w1 = big.attn.w1.data;
  const std = Math.sqrt(w1.reduce((s, v) => s + v * v, 0) / w1.length);
  assert.ok(Math.abs(std / Math.sqrt(2 / 428) - 1) < 0.03, `w1 std ${std}`);
});

test('readouts: gradients w.r.t. node embeddings and parameters match finite differences', () => {
  const g = viewOf([0, 1, 0, 0, 2, 1], 3);
  const rng = new T.Rng(4);
  const att = new AttentionReadout(3, rng);
  const h1 = randTensor(rng, [6, 3]);
  gradcheck('attention', ([x]) => att.forward(x!, g), [h1, att.gate.weight, att.gate.bias!], { eps: 1e-2 });
  const sa = new SelfAttentiveReadout(3, rng, { attnHidden: 4, attnOut: 2 });
  const h2 = randTensor(rng, [6, 3]);
  gradcheck('self-attentive', ([x]) => sa.forward(x!, g), [h2, sa.attn.w1, sa.attn.w2], { eps: 1e-2 });
  const mean = createReadout('mean', 3, rng);
  gradcheck('mean', ([x]) => mean.forward(x!, g), [randTensor(rng, [6, 3])], { eps: 1e-2 });
});

test('readouts: invariant to the order of atoms in the batch', () => {
  const n = GRAPH_INDEX.length;
  const perm = Array.from({ length: n }, (_, i) => (i * 4 + 7) % n);
  assert.equal(new Set(perm).size, n);
  const g = viewOf(GRAPH_INDEX, NUM_GRAPHS);
  const pg = new Array<number>(n);
  GRAPH_INDEX.forEach((k, i) => {
    pg[perm[i]!] = k;
  });
  const gp = viewOf(pg, NUM_GRAPHS);
  const rng = new T.Rng(5);
  const h = randTensor(rng, [n, D]);
  const hp = T.zeros([n, D]);
  for (let i = 0; i < n; i++) hp.data.set(h.data.subarray(i * D, (i + 1) * D), perm[i]! * D);
  for (const kind of READOUTS) {
    const r = createReadout(kind, D, rng, { attnHidden: 7, attnOut: 2 });
    const a = T.noGrad(() => r.forward(h, g));
    const b = T.noGrad(() => r.forward(hp, gp));
    assertClose(b.data, a.data, kind);
  }
});

test('readouts: registry, aliases, parameter-free kinds, errors', () => {
  assert.deepEqual([...READOUTS], ['mean', 'sum', 'max', 'attention', 'self_attentive']);
  for (const name of readoutNames()) assert.ok(READOUTS.includes(getReadout(name).name));
  assert.equal(getReadout('Self-Attention').name, 'self_attentive');
  assert.equal(getReadout(' global_attention ').name, 'attention');
  assert.throws(() => getReadout('set2set'), ConfigError);
  const g = viewOf(GRAPH_INDEX, NUM_GRAPHS);
  const h = randTensor(new T.Rng(6), [GRAPH_INDEX.length, D]);
  for (const kind of ['mean', 'sum', 'max'] as const) {
    const r = createReadout(kind, D, new T.Rng(0));
    assert.equal(r.parameters().length, 0);
    assert.equal(r.outDim, D);
    assert.deepEqual(Array.from(r.forward(h, g).data), Array.from(readout(kind, h, g).data));
  }
  const att = createReadout('attention', D, new T.Rng(0));
  assert.throws(() => att.forward(randTensor(new T.Rng(0), [GRAPH_INDEX.length, D + 1]), g), ConfigError);
  assert.throws(() => createReadout('self_attentive', D, new T.Rng(0), { attnOut: 0 }), ConfigError);
});

test('GraphPredictor takes any readout: attention parameters under pool, head sized by the readout', () => {
  const att = createGin({ numTasks: 2, seed: 0, dim: 8, numLayers: 2, jk: 'concat', readout: 'attention' });
  const names = att.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`);
  assert.ok(names.includes('pool.gate_nn.weight:1x24'), names.join(', '));
  assert.equal(att.readoutKind, 'attention');
  const sa = createGin({ numTasks: 3, seed: 0, dim: 8, numLayers: 2, readout: 'self_attentive' });
  assert.ok(sa.namedParameters().some(([n]) => n === 'pool.attn.w1'));
  assert.deepEqual(sa.head.weight.shape, [3, 32]);
  const g = viewOf([0, 0, 1], 2);
  const out = T.noGrad(() => sa.eval().forward(g));
  assert.deepEqual(out.shape, [2, 3]);
});
