import { fitTiny } from './helpers/overfit.js';
// The gcn, sage, gat and mpnn encoders, with Hu et al.'s codes (`hu`) and float features (`grover`):
// shapes and invariance to atom and molecule order, finite-difference gradients of one layer, one
// layer (the whole encoder for mpnn) against a plain per-edge loop written here from the reference
// formulas, and that each fits a tiny labelled set.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { getFeaturizer } from '../src/chem/featurizers/index.js';
import { loadRDKit } from '../src/chem/rdkit.js';
import { batchGraphs, type GraphBatch } from '../src/data/batch.js';
import type { MolGraph } from '../src/data/molgraph.js';
import { featurizeSmiles } from '../src/data/molgraph.js';
import { mpnnEdgeInputs } from '../src/models/encoders/mpnn.js';
import {
  createEncoder,
  type Encoder,
  GATConv,
  GCNConv,
  GraphSAGEConv,
  GraphView,
  getEncoder,
  type InputSpec,
  Linear,
  Module,
  MpnnEncoder,
} from '../src/models/index.js';
import * as T from '../src/tensor/index.js';
import { gradcheck, randTensor } from './helpers/gradcheck.js';
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
const ARCHS = ['gcn', 'sage', 'gat', 'mpnn'] as const;
type InputKind = 'codes' | 'features';
const KINDS: readonly InputKind[] = ['codes', 'features'];

const graphs: Record<InputKind, MolGraph[]> = { codes: [], features: [] };

before(async () => {
  await loadRDKit();
  graphs.codes = SMILES.map((s) => featurizeSmiles(s, getFeaturizer('hu')));
  graphs.features = SMILES.map((s) => featurizeSmiles(s, getFeaturizer('grover')));
});

function specOf(kind: InputKind): InputSpec {
  if (kind === 'codes') return { kind: 'codes' };
  const g = graphs.features[0]!;
  return { kind: 'features', atomDim: g.atomDim, bondDim: g.bondDim };
}

function paramOf(m: Module, name: string): T.Parameter {
  const p = m.namedParameters().find(([n]) => n === name)?.[1];
  if (!p)
    throw new Error(
      `no parameter ${name} in ${m
        .namedParameters()
        .map(([n]) => n)
        .join(', ')}`,
    );
  return p;
}

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    assert.ok(Math.abs(a - e) <= tol * (1 + Math.abs(e)), `${what}[${i}]: ${a} vs ${e}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Plain reference: the edge list with self loops and the edge embedding rows, from the batch arrays
// (not from GraphView), then each formula as loops over edges.

interface RefEdge {
  src: number;
  dst: number;
  /** Row of the edge embedding (width = the encoder's width). */
  emb: Float64Array;
}

function refEdges(m: Module, b: GraphBatch, kind: InputKind, width: number): RefEdge[] {
  const E = b.numEdges;
  const out: RefEdge[] = [];
  const embOf = (e: number | null): Float64Array => {
    const row = new Float64Array(width);
    if (kind === 'codes') {
      const t = e === null ? 4 : b.bondCodes[2 * e]!;
      const d = e === null ? 0 : b.bondCodes[2 * e + 1]!;
      const e1 = paramOf(m, 'edge_embedding1.weight').data;
      const e2 = paramOf(m, 'edge_embedding2.weight').data;
      for (let c = 0; c < width; c++) row[c] = e1[t * width + c]! + e2[d * width + c]!;
    } else {
      const w = paramOf(m, 'edge_linear.weight').data;
      const bias = paramOf(m, 'edge_linear.bias').data;
      const k = b.bondDim + 1;
      for (let c = 0; c < width; c++) {
        let s = bias[c]!;
        if (e === null) s += w[c * k + b.bondDim]!;
        else for (let j = 0; j < b.bondDim; j++) s += w[c * k + j]! * b.bondFeatures[e * b.bondDim + j]!;
        row[c] = s;
      }
    }
    return row;
  };
  for (let e = 0; e < E; e++) out.push({ src: b.edgeIndex[e]!, dst: b.edgeIndex[E + e]!, emb: embOf(e) });
  for (let i = 0; i < b.numAtoms; i++) out.push({ src: i, dst: i, emb: embOf(null) });
  return out;
}

/** y = x·Wᵀ + b per row, in float64. */
function refLinear(x: ArrayLike<number>, rows: number, w: T.Tensor, bias: T.Tensor | null): Float64Array[] {
  const [o, k] = [w.shape[0]!, w.shape[1]!];
  return Array.from({ length: rows }, (_, r) => {
    const y = new Float64Array(o);
    for (let c = 0; c < o; c++) {
      let s = bias ? bias.data[c]! : 0;
      for (let j = 0; j < k; j++) s += w.data[c * k + j]! * x[r * k + j]!;
      y[c] = s;
    }
    return y;
  });
}

function refGcn(conv: Module, h: T.Tensor, b: GraphBatch, kind: InputKind, D: number): Float64Array {
  const n = b.numAtoms;
  const x = refLinear(h.data, n, paramOf(conv, 'linear.weight'), paramOf(conv, 'linear.bias'));
  const edges = refEdges(conv, b, kind, D);
  const deg = new Float64Array(n);
  for (const e of edges) deg[e.src]! += 1;
  const out = new Float64Array(n * D);
  for (const e of edges) {
    const norm = 1 / Math.sqrt(deg[e.src]! * deg[e.dst]!);
    for (let c = 0; c < D; c++) out[e.dst * D + c]! += norm * (x[e.src]![c]! + e.emb[c]!);
  }
  return out;
}

function refSage(conv: Module, h: T.Tensor, b: GraphBatch, kind: InputKind, D: number): Float64Array {
  const n = b.numAtoms;
  const x = refLinear(h.data, n, paramOf(conv, 'linear.weight'), paramOf(conv, 'linear.bias'));
  const sum = new Float64Array(n * D);
  const count = new Float64Array(n);
  for (const e of refEdges(conv, b, kind, D)) {
    count[e.dst]! += 1;
    for (let c = 0; c < D; c++) sum[e.dst * D + c]! += x[e.src]![c]! + e.emb[c]!;
  }
  const out = new Float64Array(n * D);
  for (let v = 0; v < n; v++) {
    let sq = 0;
    for (let c = 0; c < D; c++) sq += (sum[v * D + c]! / count[v]!) ** 2;
    const norm = Math.max(Math.sqrt(sq), 1e-12);
    for (let c = 0; c < D; c++) out[v * D + c] = sum[v * D + c]! / count[v]! / norm;
  }
  return out;
}

/** Per edge (self loops last) x_j = x_src + edge embedding, and the attention logits before leaky ReLU. */
function refGatLogits(conv: Module, h: T.Tensor, b: GraphBatch, kind: InputKind, D: number, H: number) {
  const n = b.numAtoms;
  const x = refLinear(h.data, n, paramOf(conv, 'weight_linear.weight'), paramOf(conv, 'weight_linear.bias'));
  const att = paramOf(conv, 'att').data;
  const edges = refEdges(conv, b, kind, H * D);
  const xj = edges.map((e) => x[e.src]!.map((v, c) => v + e.emb[c]!));
  const logit = edges.map((e, k) =>
    Array.from({ length: H }, (_, hd) => {
      let s = 0;
      for (let d = 0; d < D; d++) {
        s += att[hd * 2 * D + d]! * x[e.dst]![hd * D + d]!;
        s += att[hd * 2 * D + D + d]! * xj[k]![hd * D + d]!;
      }
      return s;
    }),
  );
  return { edges, xj, logit };
}

function refGat(
  conv: Module,
  h: T.Tensor,
  b: GraphBatch,
  kind: InputKind,
  D: number,
  H: number,
): Float64Array {
  const n = b.numAtoms;
  const bias = paramOf(conv, 'bias').data;
  const { edges, xj, logit: pre } = refGatLogits(conv, h, b, kind, D, H);
  const logit = pre.map((row) => row.map((s) => (s > 0 ? s : 0.2 * s)));
  // Softmax over the edges that share a SOURCE atom (Hu et al.'s edge_index[0]).
  const alpha = logit.map((row, k) =>
    row.map((v, hd) => {
      let den = 0;
      let mx = Number.NEGATIVE_INFINITY;
      edges.forEach((f, l) => {
        if (f.src === edges[k]!.src) mx = Math.max(mx, logit[l]![hd]!);
      });
      edges.forEach((f, l) => {
        if (f.src === edges[k]!.src) den += Math.exp(logit[l]![hd]! - mx);
      });
      return Math.exp(v - mx) / den;
    }),
  );
  const out = new Float64Array(n * D);
  for (let v = 0; v < n; v++) for (let d = 0; d < D; d++) out[v * D + d] = bias[d]!;
  edges.forEach((e, k) => {
    for (let hd = 0; hd < H; hd++) {
      for (let d = 0; d < D; d++) out[e.dst * D + d]! += (alpha[k]![hd]! * xj[k]![hd * D + d]!) / H;
    }
  });
  return out;
}

const sigm = (v: number): number => 1 / (1 + Math.exp(-v));

/** The whole MPNN encoder (DGL-LifeSci's MPNNGNN) as loops. */
function refMpnn(enc: Module, b: GraphBatch, kind: InputKind, D: number, steps: number): Float64Array {
  const n = b.numAtoms;
  const E = b.numEdges;
  let h: Float64Array[];
  if (kind === 'codes') {
    const x1 = paramOf(enc, 'x_embedding1.weight').data;
    const x2 = paramOf(enc, 'x_embedding2.weight').data;
    h = Array.from({ length: n }, (_, v) =>
      Float64Array.from({ length: D }, (_, c) =>
        Math.max(0, x1[b.atomCodes[2 * v]! * D + c]! + x2[b.atomCodes[2 * v + 1]! * D + c]!),
      ),
    );
  } else {
    h = refLinear(b.atomFeatures, n, paramOf(enc, 'x_linear.weight'), paramOf(enc, 'x_linear.bias')).map(
      (r) => r.map((v) => Math.max(0, v)),
    );
  }
  // Edge network input: one-hot (type, direction) for codes, the bond row for features.
  const inDim = kind === 'codes' ? 9 : b.bondDim;
  const edgeIn = new Float64Array(E * inDim);
  for (let e = 0; e < E; e++) {
    if (kind === 'codes') {
      edgeIn[e * 9 + b.bondCodes[2 * e]!] = 1;
      edgeIn[e * 9 + 6 + b.bondCodes[2 * e + 1]!] = 1;
    } else {
      for (let j = 0; j < inDim; j++) edgeIn[e * inDim + j] = b.bondFeatures[e * inDim + j]!;
    }
  }
  const hidden = refLinear(
    edgeIn,
    E,
    paramOf(enc, 'gnn_layer.edge_nn.0.weight'),
    paramOf(enc, 'gnn_layer.edge_nn.0.bias'),
  ).map((r) => r.map((v) => Math.max(0, v)));
  const flat = Float64Array.from(hidden.flatMap((r) => [...r]));
  const W = refLinear(
    flat,
    E,
    paramOf(enc, 'gnn_layer.edge_nn.2.weight'),
    paramOf(enc, 'gnn_layer.edge_nn.2.bias'),
  );
  const bias = paramOf(enc, 'gnn_layer.bias').data;
  const wih = paramOf(enc, 'gru.weight_ih_l0');
  const whh = paramOf(enc, 'gru.weight_hh_l0');
  const bih = paramOf(enc, 'gru.bias_ih_l0');
  const bhh = paramOf(enc, 'gru.bias_hh_l0');
  for (let s = 0; s < steps; s++) {
    const m = Array.from({ length: n }, () => Float64Array.from(bias));
    for (let e = 0; e < E; e++) {
      const u = b.edgeIndex[e]!;
      const v = b.edgeIndex[E + e]!;
      for (let o = 0; o < D; o++) for (let i = 0; i < D; i++) m[v]![o]! += h[u]![i]! * W[e]![i * D + o]!;
    }
    const mr = Float64Array.from(m.flatMap((r) => [...r].map((v) => Math.max(0, v))));
    const gi = refLinear(mr, n, wih, bih);
    const gh = refLinear(Float64Array.from(h.flatMap((r) => [...r])), n, whh, bhh);
    h = h.map((hv, v) =>
      hv.map((hc, c) => {
        const r = sigm(gi[v]![c]! + gh[v]![c]!);
        const z = sigm(gi[v]![D + c]! + gh[v]![D + c]!);
        const nn = Math.tanh(gi[v]![2 * D + c]! + r * gh[v]![2 * D + c]!);
        return (1 - z) * nn + z * hc;
      }),
    );
  }
  return Float64Array.from(h.flatMap((r) => [...r]));
}

// ---------------------------------------------------------------------------------------------

test('registry: gcn, sage (alias graphsage), gat and mpnn, with parameter names as the references', () => {
  assert.equal(getEncoder('graphsage').name, 'sage');
  assert.deepEqual(getEncoder('mpnn').defaults, { dim: 64, layers: 3 });
  const rng = new T.Rng(0);
  const names = (a: string): string[] =>
    createEncoder(a, { kind: 'codes' }, { dim: 8, layers: 2 }, rng)
      .namedParameters()
      .map(([n]) => n);
  const expect: Record<string, string[]> = {
    gcn: ['gnns.0.linear.weight', 'gnns.1.edge_embedding1.weight', 'gnns.1.edge_embedding2.weight'],
    sage: ['gnns.0.linear.bias', 'gnns.0.edge_embedding2.weight'],
    gat: ['gnns.0.weight_linear.weight', 'gnns.0.att', 'gnns.0.bias', 'gnns.1.edge_embedding1.weight'],
    mpnn: [
      'x_embedding1.weight',
      'gnn_layer.edge_nn.0.weight',
      'gnn_layer.edge_nn.2.bias',
      'gnn_layer.bias',
      'gru.weight_ih_l0',
      'gru.bias_hh_l0',
    ],
  };
  for (const [a, want] of Object.entries(expect)) {
    const got = names(a);
    for (const n of want) assert.ok(got.includes(n), `${a}: ${n} in ${got.join(', ')}`);
  }
  // GAT shapes: edge embeddings are heads·dim wide; att [1, heads, 2·dim]; bias [dim] at 0.
  const gat = new GATConv(8, { kind: 'codes' }, rng, 2);
  assert.deepEqual(paramOf(gat, 'att').shape, [1, 2, 16]);
  assert.deepEqual(paramOf(gat, 'edge_embedding1.weight').shape, [6, 16]);
  assert.ok(paramOf(gat, 'bias').data.every((v) => v === 0));
  const mpnn = createEncoder('mpnn', { kind: 'codes' }, {}, rng);
  assert.equal(mpnn.outDim, 64);
  assert.deepEqual(paramOf(mpnn, 'gnn_layer.edge_nn.2.weight').shape, [64 * 64, 128]);
  assert.throws(() => createEncoder('mpnn', { kind: 'codes' }, { jk: 'concat' }, rng), /jumping knowledge/);
});

for (const arch of ARCHS) {
  for (const kind of KINDS) {
    test(`${arch} (${kind}): node embeddings [numNodes, outDim], invariant to atom and molecule order`, () => {
      const gs = graphs[kind];
      const enc = createEncoder(arch, specOf(kind), { dim: 16, layers: 2, dropout: 0 }, new T.Rng(11)).eval();
      const batch = batchGraphs(gs);
      const out = T.noGrad(() => enc.forward(new GraphView(batch)));
      assert.deepEqual(out.shape, [batch.numAtoms, enc.outDim]);
      assert.equal(enc.outDim, 16);
      assert.ok(out.data.every(Number.isFinite));
      const g = gs[2]!;
      const perm = Array.from({ length: g.numAtoms }, (_, i) => (i * 5 + 3) % g.numAtoms);
      assert.equal(new Set(perm).size, g.numAtoms);
      const swapped = T.noGrad(() =>
        enc.forward(new GraphView(batchGraphs([permuteMolecule(g, perm), gs[0]!]))),
      );
      const D = enc.outDim;
      const off2 = batch.atomOffsets[2]!;
      for (let i = 0; i < g.numAtoms; i++) {
        for (let c = 0; c < D; c++) {
          const a = swapped.data[perm[i]! * D + c]!;
          const b = out.data[(off2 + i) * D + c]!;
          assert.ok(Math.abs(a - b) < 1e-4, `atom ${i} col ${c}: ${a} vs ${b} (renumbered atoms)`);
        }
      }
      for (let i = 0; i < gs[0]!.numAtoms; i++) {
        for (let c = 0; c < D; c++) {
          const a = swapped.data[(g.numAtoms + i) * D + c]!;
          assert.ok(Math.abs(a - out.data[i * D + c]!) < 1e-4, 'molecule order does not matter');
        }
      }
    });
  }
}

test('a molecule without bonds (single atom) goes through every encoder', () => {
  for (const kind of KINDS) {
    const f = getFeaturizer(kind === 'codes' ? 'hu' : 'grover');
    const batch = batchGraphs(['C', 'CCO'].map((s) => featurizeSmiles(s, f)));
    for (const arch of ARCHS) {
      const enc = createEncoder(arch, specOf(kind), { dim: 8, layers: 2, dropout: 0 }, new T.Rng(2));
      const out = enc.forward(new GraphView(batch));
      T.backward(T.sum(out));
      assert.ok(out.data.every(Number.isFinite), `${arch} ${kind}`);
      for (const [n, p] of enc.namedParameters())
        assert.ok(p.grad?.every(Number.isFinite) ?? true, `${arch} ${n}`);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// One layer against finite differences (dim 4, 3 molecules).

/**
 * Central differences are wrong across a kink (ReLU, leaky ReLU) that lies within ±eps of the test
 * point, so GAT and MPNN are checked at the first seed whose pre-activations all keep `min` away
 * from 0 (as the helper's randAwayFromZero does for single ops).
 */
function awayFromKinks<M>(build: (rng: T.Rng) => M, margin: (m: M) => number, min: number): M {
  for (let seed = 1; seed <= 100; seed++) {
    const m = build(new T.Rng(seed));
    if (margin(m) >= min) return m;
  }
  throw new Error('no seed keeps the pre-activations away from the kinks');
}

const minAbs = (xs: Iterable<number>): number => Math.min(...[...xs].map(Math.abs));

for (const kind of KINDS) {
  test(`gradcheck (${kind}): one gcn, sage and gat layer and one mpnn step, w.r.t. node states and parameters`, () => {
    const D = 4;
    const spec = specOf(kind);
    const batch = batchGraphs(graphs[kind].slice(0, 3));
    const view = new GraphView(batch);
    const rng = new T.Rng(21);
    const h = (r: T.Rng = rng): T.Tensor => randTensor(r, [batch.numAtoms, D]);
    const gcn = new GCNConv(D, spec, rng);
    gradcheck('gcn', ([x]) => gcn.forward(x!, view), [
      h(),
      paramOf(gcn, 'linear.weight'),
      paramOf(gcn, kind === 'codes' ? 'edge_embedding2.weight' : 'edge_linear.bias'),
    ]);
    const sage = new GraphSAGEConv(D, spec, rng);
    gradcheck('sage', ([x]) => sage.forward(x!, view), [
      h(),
      paramOf(sage, 'linear.weight'),
      paramOf(sage, kind === 'codes' ? 'edge_embedding1.weight' : 'edge_linear.weight'),
    ]);
    const gat = awayFromKinks(
      (r) => ({ conv: new GATConv(D, spec, r, 2), h0: h(r) }),
      ({ conv, h0 }) => minAbs(refGatLogits(conv, h0, batch, kind, D, 2).logit.flat()),
      0.01,
    );
    gradcheck('gat', ([x]) => gat.conv.forward(x!, view), [
      gat.h0,
      paramOf(gat.conv, 'att'),
      paramOf(gat.conv, 'weight_linear.weight'),
      paramOf(gat.conv, 'bias'),
    ]);
    const edgeIn = mpnnEdgeInputs(spec, view);
    const step = (m: MpnnEncoder, x: T.Tensor): T.Tensor => {
      const w = m.gnnLayer.edgeWeights(edgeIn);
      return m.gru.forward(T.relu(m.gnnLayer.forward(x, w, view)), x);
    };
    const mp = awayFromKinks(
      (r) => ({ enc: new MpnnEncoder(spec, { dim: D, steps: 1, edgeHidden: 6 }, r), h0: h(r) }),
      ({ enc, h0 }) =>
        T.noGrad(() =>
          Math.min(
            minAbs(enc.gnnLayer.edgeNn.first.forward(edgeIn).data),
            minAbs(enc.gnnLayer.forward(h0, enc.gnnLayer.edgeWeights(edgeIn), view).data),
          ),
        ),
      0.01,
    );
    gradcheck('mpnn step', ([x]) => step(mp.enc, x!), [
      mp.h0,
      paramOf(mp.enc, 'gnn_layer.edge_nn.2.weight'),
      paramOf(mp.enc, 'gnn_layer.bias'),
      paramOf(mp.enc, 'gru.weight_hh_l0'),
      paramOf(mp.enc, 'gru.bias_ih_l0'),
    ]);
  });
}

// ---------------------------------------------------------------------------------------------
// One layer against the plain loops above.

for (const kind of KINDS) {
  test(`one layer matches a per-edge loop of the reference formula (${kind}): gcn, sage, gat, mpnn`, () => {
    const D = 5;
    const spec = specOf(kind);
    const batch = batchGraphs(graphs[kind].slice(0, 4));
    const view = new GraphView(batch);
    const rng = new T.Rng(33);
    const h = randTensor(rng, [batch.numAtoms, D]);
    T.noGrad(() => {
      const gcn = new GCNConv(D, spec, rng);
      assertClose(gcn.forward(h, view).data, refGcn(gcn, h, batch, kind, D), 1e-4, 'gcn');
      const sage = new GraphSAGEConv(D, spec, rng);
      const want = refSage(sage, h, batch, kind, D);
      assertClose(sage.forward(h, view).data, want, 1e-4, 'sage (fused)');
      const perEdge = new GraphSAGEConv(D, spec, rng, true);
      perEdge.loadStateDict(sage.stateDict());
      assertClose(perEdge.forward(h, view).data, want, 1e-4, 'sage (per-edge)');
      for (const heads of [1, 3]) {
        const gat = new GATConv(D, spec, rng, heads);
        // Bias and att start at 0 / small: move them so the check sees them.
        for (const p of [paramOf(gat, 'bias'), paramOf(gat, 'att')]) {
          for (let i = 0; i < p.size; i++) p.data[i] = rng.uniform(-1, 1);
        }
        assertClose(gat.forward(h, view).data, refGat(gat, h, batch, kind, D, heads), 1e-4, `gat ×${heads}`);
      }
      const mpnn = new MpnnEncoder(spec, { dim: D, steps: 2, edgeHidden: 7 }, rng);
      const bias = paramOf(mpnn, 'gnn_layer.bias');
      for (let i = 0; i < D; i++) bias.data[i] = rng.uniform(-0.5, 0.5);
      assertClose(mpnn.forward(view).data, refMpnn(mpnn, batch, kind, D, 2), 1e-4, 'mpnn');
    });
  });
}

// ---------------------------------------------------------------------------------------------

class Predictor extends Module {
  readonly head: Linear;
  constructor(
    readonly gnn: Encoder,
    numTasks: number,
    rng: T.Rng,
  ) {
    super();
    this.child('gnn', gnn);
    this.head = this.child('head', new Linear(gnn.outDim, numTasks, rng));
  }
  forward(g: GraphView): T.Tensor {
    return this.head.forward(T.segmentMean(this.gnn.forward(g), g.graphIndex, g.numGraphs));
  }
}

for (const arch of ARCHS) {
  for (const kind of KINDS) {
    test(`${arch} (${kind}): fits 8 molecules × 2 tasks with missing labels (loss falls by 20× in ≤ 200 steps)`, () => {
      const rng = new T.Rng(5);
      const enc = createEncoder(arch, specOf(kind), { dim: 16, layers: 2, dropout: 0 }, rng);
      const model = new Predictor(enc, 2, rng);
      const view = new GraphView(batchGraphs(graphs[kind]));
      const y = Float32Array.from([1, 0, 0, Number.NaN, 1, 1, 0, 1, 1, 0, 0, 0, Number.NaN, 1, 1, 1]);
      const { first, last } = fitTiny(model.parameters(), () => T.bceWithLogits(model.forward(view), y));
      assert.ok(last <= first / 20, `loss ${first} → ${last}`);
    });
  }
}
