// GROVER's GTransformer encoder (src/models/grover): agreement with an independent PyTorch
// transcription of the released code (test/fixtures/grover-model/encoder.json from
// scripts/fixtures/gen_grover_model.py: GROVER's padded batch layout, its heads-axis attention and
// padding-row sums; and per-molecule attention with real neighbours only), shapes and parameter
// names, the dyMPN hop sampler, eval determinism, molecule isolation of both attention modes,
// invariance to atom renumbering, finite-difference gradients, input masking, preset sizes.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, test } from 'node:test';
import { getFeaturizer } from '../src/chem/featurizers/index.js';
import { loadRDKit } from '../src/chem/rdkit.js';
import { batchGraphs } from '../src/data/batch.js';
import { featurizeSmiles, type MolGraph } from '../src/data/molgraph.js';
import { MultiHeadedAttention } from '../src/models/grover/attention.js';
import { DyMPN, sampleNdepth } from '../src/models/grover/dympn.js';
import {
  GROVER_PRESETS,
  GroverEncoder,
  type GroverOptions,
  type GroverOutputs,
  groverParameterCount,
  MTBlock,
} from '../src/models/grover/encoder.js';
import { type GroverGraph, groverGraph, topology } from '../src/models/grover/graph.js';
import type { StateDict } from '../src/models/module.js';
import * as T from '../src/tensor/index.js';
import { gradcheck } from './helpers/gradcheck.js';
import { permuteMolecule } from './helpers/molecules.js';

const SMILES = ['CC(=O)Nc1ccc(O)cc1', 'C1CC1N', 'OC(=O)C#N', 'CCO', 'c1ccncc1'];
let mols: MolGraph[] = [];

before(async () => {
  await loadRDKit();
  const f = getFeaturizer('grover');
  mols = SMILES.map((s) => featurizeSmiles(s, f));
});

const TINY: GroverOptions = { ...GROVER_PRESETS.tiny };
const graphOf = (ms: MolGraph[]): GroverGraph => groverGraph(batchGraphs(ms));
const OUT_KEYS = ['atomFromAtom', 'atomFromBond', 'bondFromAtom', 'bondFromBond'] as const;

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

// ------------------------------------------------------------------ PyTorch reference
interface Stored {
  shape: number[];
  data: string;
}
interface Fixture {
  molecules: { numAtoms: number; atomFeatures: string; bonds: [number, number][]; bondFeatures: string }[];
  maxNumBonds: number;
  cases: {
    name: string;
    options: GroverOptions;
    weights: Record<string, Stored>;
    outputs: Record<(typeof OUT_KEYS)[number], Stored>;
  }[];
}

function f32(s: string): Float32Array {
  const buf = Buffer.from(s, 'base64');
  const out = new Float32Array(buf.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(4 * i);
  return out;
}

/** A MolGraph from raw arrays (bond k → edges 2k begin→end, 2k+1 end→begin). */
function rawMol(m: Fixture['molecules'][number]): MolGraph {
  const n = m.numAtoms;
  const nb = m.bonds.length;
  const fb = f32(m.bondFeatures);
  const bondFeatures = new Float32Array(2 * nb * 14);
  const edgeIndex = new Int32Array(4 * nb);
  const revEdge = new Int32Array(2 * nb);
  m.bonds.forEach(([u, v], k) => {
    bondFeatures.set(fb.subarray(k * 14, (k + 1) * 14), 2 * k * 14);
    bondFeatures.set(fb.subarray(k * 14, (k + 1) * 14), (2 * k + 1) * 14);
    edgeIndex[2 * k] = u;
    edgeIndex[2 * k + 1] = v;
    edgeIndex[2 * nb + 2 * k] = v;
    edgeIndex[2 * nb + 2 * k + 1] = u;
    revEdge[2 * k] = 2 * k + 1;
    revEdge[2 * k + 1] = 2 * k;
  });
  return {
    numAtoms: n,
    numEdges: 2 * nb,
    atomDim: 151,
    bondDim: 14,
    atomFeatures: f32(m.atomFeatures),
    bondFeatures,
    edgeIndex,
    revEdge,
    atomCodes: new Int32Array(2 * n),
    bondCodes: new Int32Array(4 * nb),
  };
}

test('matches the PyTorch transcription of the released encoder (eval mode)', () => {
  const fx = JSON.parse(
    readFileSync(new URL('../../test/fixtures/grover-model/encoder.json', import.meta.url), 'utf8'),
  ) as Fixture;
  const g = graphOf(fx.molecules.map(rawMol));
  assert.equal(g.maxNumBonds, fx.maxNumBonds);
  for (const c of fx.cases) {
    const enc = new GroverEncoder(c.options, new T.Rng(0));
    const sd: StateDict = {};
    for (const [k, v] of Object.entries(c.weights)) sd[k] = { shape: v.shape, data: f32(v.data) };
    enc.loadStateDict(sd);
    enc.eval();
    const out = enc.forward(g);
    for (const k of OUT_KEYS) {
      const ref = c.outputs[k];
      assert.deepEqual(out[k].shape, ref.shape, `${c.name}: ${k} shape`);
      const d = maxDiff(out[k].data, f32(ref.data));
      assert.ok(d < 2e-5, `${c.name}: ${k} differs from PyTorch by ${d}`);
    }
  }
});

// ------------------------------------------------------------------ structure
test('output shapes, parameter names and counts', () => {
  const g = graphOf(mols.slice(0, 3));
  const enc = new GroverEncoder(TINY, new T.Rng(1));
  assert.equal(enc.hidden, 16);
  const out = enc.forward(g);
  for (const k of ['atomFromAtom', 'atomFromBond'] as const) assert.deepEqual(out[k].shape, [g.numAtoms, 16]);
  for (const k of ['bondFromAtom', 'bondFromBond'] as const) assert.deepEqual(out[k].shape, [g.numBonds, 16]);
  const names = new Set(enc.namedParameters().map(([n]) => n));
  for (const n of [
    'node_blocks.0.W_i.weight',
    'edge_blocks.0.heads.1.mpn_v.W_h.weight',
    'edge_blocks.0.heads.0.mpn_q.act_func.weight',
    'node_blocks.0.attn.linear_layers.2.bias',
    'node_blocks.0.attn.output_linear.weight',
    'edge_blocks.0.W_o.weight',
    'edge_blocks.0.sublayer.norm.bias',
    'node_blocks.0.layernorm.weight',
    'ffn_bond_from_atom.W_1.weight',
    'bond_from_bond_sublayer.norm.weight',
    'act_func_node.weight',
  ]) {
    assert.ok(names.has(n), `missing ${n}`);
  }
  assert.ok(!names.has('node_blocks.0.attn.output_linear.bias'), 'output_linear has no bias without --bias');
  assert.deepEqual(enc.namedParameters().find(([n]) => n === 'ffn_bond_from_atom.W_1.weight')![1].shape, [
    64,
    16 + 165,
  ]);
  // The analytic count equals the built modules' for several shapes.
  for (const o of [
    TINY,
    { ...TINY, blocks: 2, bias: true },
    { ...TINY, hidden: 12, heads: 3, act: 'relu' as const },
  ]) {
    assert.equal(groverParameterCount(o), new GroverEncoder(o, new T.Rng(2)).parameterCount());
  }
  assert.equal(enc.parameterCount(), 60532);
  // base ≈ 48M and large ≈ 100M parameters as reported for GROVER (hidden 800 / 1200, 4 heads).
  assert.equal(groverParameterCount(GROVER_PRESETS.base), 48388832);
  assert.equal(groverParameterCount(GROVER_PRESETS.large), 107143232);
});

// ------------------------------------------------------------------ hops
test('hop sampler: truncated normal vs uniform, GROVER int() mapping', () => {
  const rng = new T.Rng(3);
  const N = 40000;
  const depth = 6;
  const tn = new Float64Array(12);
  const un = new Float64Array(12);
  let sumTn = 0;
  let sumUn = 0;
  for (let i = 0; i < N; i++) {
    const a = sampleNdepth(depth, 'truncnorm', rng);
    const b = sampleNdepth(depth, 'uniform', rng);
    assert.ok(a >= depth - 3 && a <= depth + 2, `truncnorm draw ${a}`);
    assert.ok(b >= depth - 3 && b <= depth + 2, `uniform draw ${b}`);
    tn[a]!++;
    un[b]!++;
    sumTn += a;
    sumUn += b;
  }
  // int() truncates: E[int(X)] = depth − 1/2 for both (symmetric around depth − 1/2).
  assert.ok(Math.abs(sumTn / N - (depth - 0.5)) < 0.03, `truncnorm mean ${sumTn / N}`);
  assert.ok(Math.abs(sumUn / N - (depth - 0.5)) < 0.05, `uniform mean ${sumUn / N}`);
  // P(int X = k) for X ~ N(6, 1) truncated to [3, 9]: Φ-differences / 0.9973.
  const Z = 0.9973002;
  const expectTn: Record<number, number> = {
    3: 0.0214002 / Z,
    4: 0.1359051 / Z,
    5: 0.3413447 / Z,
    6: 0.3413447 / Z,
    7: 0.1359051 / Z,
    8: 0.0214002 / Z,
  };
  for (let k = 3; k <= 8; k++) {
    assert.ok(Math.abs(tn[k]! / N - expectTn[k]!) < 0.012, `truncnorm P(${k}) = ${tn[k]! / N}`);
    assert.ok(Math.abs(un[k]! / N - 1 / 6) < 0.012, `uniform P(${k}) = ${un[k]! / N}`);
  }
  // depth 3 (GROVER's pretrain default): ndepth can be 0 or 1, i.e. no message passing at all.
  const mpn = new DyMPN(
    { hidden: 4, depth: 3, dropout: 0, act: 'prelu', bias: false, hops: 'truncnorm', minIterations: 0 },
    true,
    new T.Rng(4),
  );
  const its = new Set<number>();
  for (let i = 0; i < 2000; i++) its.add(mpn.iterations());
  assert.deepEqual(
    [...its].sort((a, b) => a - b),
    [0, 1, 2, 3, 4],
  );
  mpn.eval();
  assert.equal(mpn.iterations(), 2);
  const floored = new DyMPN({ ...mpn.options, minIterations: 1 }, true, new T.Rng(4));
  for (let i = 0; i < 500; i++) assert.ok(floored.iterations() >= 1);
});

test('hop draws come from registered generators (checkpoints restore the stream)', () => {
  const g = graphOf(mols.slice(0, 2));
  const enc = new GroverEncoder({ ...TINY, depth: 4 }, new T.Rng(5));
  const gens = enc.namedGenerators();
  assert.ok(gens.some(([n]) => n === 'node_blocks.0.heads.1.mpn_k.depth_rng'));
  const states = gens.map(([, r]) => r.getState());
  const a = enc.forward(g).atomFromAtom.data.slice();
  const iters1 = enc.node_blocks.items[0]!.heads.items.map((h) => h.mpn_q.lastIterations);
  for (const [i, [, r]] of gens.entries()) r.setState(states[i]!);
  const b = enc.forward(g).atomFromAtom.data.slice();
  const iters2 = enc.node_blocks.items[0]!.heads.items.map((h) => h.mpn_q.lastIterations);
  assert.deepEqual(iters1, iters2);
  assert.equal(maxDiff(a, b), 0);
});

test('eval mode is deterministic; training draws hops and dropout', () => {
  const g = graphOf(mols.slice(0, 3));
  const enc = new GroverEncoder({ ...TINY, dropout: 0.2, depth: 4 }, new T.Rng(6));
  enc.eval();
  const a = enc.forward(g);
  const b = enc.forward(g);
  for (const k of OUT_KEYS) assert.equal(maxDiff(a[k].data, b[k].data), 0);
  enc.train();
  const c = enc.forward(g);
  assert.ok(maxDiff(a.atomFromAtom.data, c.atomFromAtom.data) > 1e-3);
});

// ------------------------------------------------------------------ isolation, invariance
function rowsOf(x: T.Tensor, start: number, end: number): Float32Array {
  const w = x.shape[1]!;
  return x.data.slice(start * w, end * w);
}

test("'fixed' attends within molecules only; 'faithful' within each item only", () => {
  // Molecule A first; B (the middle one) is swapped for a different molecule.
  const batch1 = [mols[0]!, mols[1]!, mols[3]!];
  const batch2 = [mols[0]!, mols[2]!, mols[3]!];
  const g1 = graphOf(batch1);
  const g2 = graphOf(batch2);
  const nA = mols[0]!.numAtoms;
  const nB = mols[0]!.numEdges;
  for (const attention of ['fixed', 'faithful'] as const) {
    const enc = new GroverEncoder({ ...TINY, attention }, new T.Rng(7)).eval();
    const o1 = enc.forward(g1);
    const o2 = enc.forward(g2);
    for (const k of OUT_KEYS) {
      const n = k.startsWith('atom') ? nA : nB;
      assert.ok(maxDiff(rowsOf(o1[k], 0, n), rowsOf(o2[k], 0, n)) < 1e-6, `${attention}: ${k} of A changed`);
      // …and the third molecule's rows too (offsets differ, values must not).
      const t1 = k.startsWith('atom') ? g1.atomOffsets : g1.bondOffsets;
      const t2 = k.startsWith('atom') ? g2.atomOffsets : g2.bondOffsets;
      assert.ok(maxDiff(rowsOf(o1[k], t1[2]!, t1[3]!), rowsOf(o2[k], t2[2]!, t2[3]!)) < 1e-6);
    }
  }
  // The attention itself: perturbing item j's q/k/v moves other items of its molecule under
  // 'fixed', and nothing but item j under 'faithful'.
  const R = 6;
  const groups = { count: 2, offsets: Int32Array.from([0, 4, 6]) };
  const mha = new MultiHeadedAttention(2, 8, 0, false, new T.Rng(8));
  const rng = new T.Rng(9);
  const mk = (): T.Tensor[] =>
    [0, 1].map(() =>
      T.tensor(
        Array.from({ length: R * 8 }, () => rng.normal()),
        [R, 8],
      ),
    );
  const [q, k, v] = [mk(), mk(), mk()];
  for (const mode of ['fixed', 'faithful'] as const) {
    const base = mha.forward(q, k, v, mode, groups);
    const k2 = k.map((t) => T.tensor(t.data.slice(), [R, 8]));
    for (const t of k2) for (let c = 0; c < 8; c++) t.data[1 * 8 + c]! += 1; // item 1 (molecule 0)
    const v2 = v.map((t) => T.tensor(t.data.slice(), [R, 8]));
    for (const t of v2) for (let c = 0; c < 8; c++) t.data[1 * 8 + c]! -= 1;
    const pert = mha.forward(q, k2, v2, mode, groups);
    const w = 16;
    const changed = (r: number): boolean =>
      maxDiff(base.data.slice(r * w, (r + 1) * w), pert.data.slice(r * w, (r + 1) * w)) > 1e-5;
    assert.ok(changed(1), `${mode}: item 1 itself`);
    assert.equal(changed(0), mode === 'fixed', `${mode}: item 0 (same molecule)`);
    assert.ok(!changed(4) && !changed(5), `${mode}: molecule 1 untouched`);
  }
});

test("padding 'grover' reproduces the batch dependence of the released code", () => {
  // With a degree-4 atom elsewhere in the batch, max_num_bonds grows and the padding row's
  // copies change molecule A's sums; 'none' is unaffected.
  const A = mols[3]!; // CCO, max degree 2
  const quaternary = featurizeSmiles('CC(C)(C)C', getFeaturizer('grover'));
  for (const padding of ['grover', 'none'] as const) {
    const enc = new GroverEncoder({ ...TINY, attention: 'faithful', padding }, new T.Rng(10)).eval();
    const a1 = enc.forward(graphOf([A, mols[4]!])).atomFromAtom;
    const a2 = enc.forward(graphOf([A, quaternary])).atomFromAtom;
    const d = maxDiff(rowsOf(a1, 0, A.numAtoms), rowsOf(a2, 0, A.numAtoms));
    if (padding === 'grover') assert.ok(d > 1e-3, `grover padding: ${d}`);
    else assert.ok(d < 1e-6, `no padding: ${d}`);
  }
});

test('invariant to atom renumbering and bond order', () => {
  const m = mols[0]!;
  const n = m.numAtoms;
  const perm = Array.from({ length: n }, (_, i) => (i * 7 + 3) % n);
  const pm = permuteMolecule(m, perm);
  for (const attention of ['fixed', 'faithful'] as const) {
    const enc = new GroverEncoder({ ...TINY, attention }, new T.Rng(11)).eval();
    const o1 = enc.forward(graphOf([mols[1]!, m]));
    const o2 = enc.forward(graphOf([mols[1]!, pm]));
    const a0 = mols[1]!.numAtoms;
    const e0 = mols[1]!.numEdges;
    const h = 16;
    const key = (g: MolGraph, e: number): string => `${g.edgeIndex[e]}-${g.edgeIndex[g.numEdges + e]}`;
    const pmEdge = new Map<string, number>();
    for (let e = 0; e < pm.numEdges; e++) pmEdge.set(key(pm, e), e);
    let d = 0;
    for (const k of OUT_KEYS) {
      const x1 = o1[k].data;
      const x2 = o2[k].data;
      if (k.startsWith('atom')) {
        for (let i = 0; i < n; i++)
          for (let c = 0; c < h; c++)
            d = Math.max(d, Math.abs(x1[(a0 + i) * h + c]! - x2[(a0 + perm[i]!) * h + c]!));
      } else {
        for (let e = 0; e < m.numEdges; e++) {
          const f = pmEdge.get(`${perm[m.edgeIndex[e]!]}-${perm[m.edgeIndex[m.numEdges + e]!]}`)!;
          for (let c = 0; c < h; c++)
            d = Math.max(d, Math.abs(x1[(e0 + e) * h + c]! - x2[(e0 + f) * h + c]!));
        }
      }
    }
    assert.ok(d < 1e-5, `${attention}: ${d}`);
  }
});

// ------------------------------------------------------------------ gradients
const SMALL: GroverOptions = { ...TINY, hidden: 4, heads: 2, depth: 3 };

test('finite-difference gradients of one MTBlock (edge view), both attention modes', () => {
  const g = graphOf([mols[3]!, mols[1]!]);
  for (const attention of ['fixed', 'faithful'] as const) {
    const block = new MTBlock(165, { ...SMALL, attention, bias: true }, false, new T.Rng(12)).eval();
    const topo = topology(g, false);
    const picked = block
      .namedParameters()
      .filter(([n]) =>
        /heads\.0\.mpn_q\.W_h\.weight|linear_layers\.1\.weight|W_o\.bias|layernorm\.bias|act_func/.test(n),
      )
      .map(([, p]) => p);
    assert.ok(picked.length >= 5);
    gradcheck(`MTBlock ${attention}`, () => block.forward(topo.fBonds, topo), picked, { seed: 13 });
  }
});

test('finite-difference gradients of the whole tiny encoder', () => {
  const g = graphOf([mols[3]!, mols[2]!]);
  for (const [attention, padding] of [
    ['fixed', 'none'],
    ['faithful', 'grover'],
  ] as const) {
    const enc = new GroverEncoder({ ...SMALL, attention, padding }, new T.Rng(14)).eval();
    const picked = enc
      .namedParameters()
      .filter(([n]) =>
        /node_blocks\.0\.heads\.1\.mpn_k\.W_h|edge_blocks\.0\.attn\.linear_layers\.0\.weight|edge_blocks\.0\.sublayer\.norm\.weight|ffn_bond_from_atom\.W_2\.bias|atom_from_bond_sublayer\.norm\.bias/.test(
          n,
        ),
      )
      .map(([, p]) => p);
    assert.equal(picked.length, 5);
    const all = (o: GroverOutputs): T.Tensor =>
      T.concat([o.atomFromAtom, o.atomFromBond, T.reshape(o.bondFromAtom, [-1, 4]), o.bondFromBond], 0);
    gradcheck(`encoder ${attention}/${padding}`, () => all(enc.forward(g)), picked, { seed: 15 });
  }
});

// ------------------------------------------------------------------ masking
test('masking zeroes the masked atoms and bonds wherever they appear', () => {
  const batch = batchGraphs([mols[3]!, mols[2]!]);
  const maskAtoms = new Uint8Array(batch.numAtoms);
  maskAtoms[1] = 1; // CCO's middle carbon
  const maskBonds = new Uint8Array(batch.numEdges / 2);
  maskBonds[3] = 1; // a bond of the second molecule: edges 6 and 7
  const plain = groverGraph(batch);
  const g = groverGraph(batch, { maskAtoms, maskBonds });
  const A = 151;
  const W = 165;
  for (let a = 0; a < g.numAtoms; a++) {
    const row = g.fAtoms.data.subarray(a * A, (a + 1) * A);
    if (a === 1) assert.ok(row.every((v) => v === 0));
    else assert.deepEqual(row, plain.fAtoms.data.subarray(a * A, (a + 1) * A));
  }
  for (let b = 0; b < g.numBonds; b++) {
    const atomPart = g.fBonds.data.subarray(b * W, b * W + A);
    const bondPart = g.fBonds.data.subarray(b * W + A, (b + 1) * W);
    if (g.b2a[b] === 1)
      assert.ok(
        atomPart.every((v) => v === 0),
        `bond ${b} leaves the masked atom`,
      );
    else assert.deepEqual(atomPart, plain.fBonds.data.subarray(b * W, b * W + A));
    if (b === 6 || b === 7)
      assert.ok(
        bondPart.every((v) => v === 0),
        `bond ${b} masked`,
      );
    else assert.deepEqual(bondPart, plain.fBonds.data.subarray(b * W + A, (b + 1) * W));
    // f_bonds = [f_atoms[source], bond features]
    assert.deepEqual(atomPart, g.fAtoms.data.subarray(g.b2a[b]! * A, (g.b2a[b]! + 1) * A));
  }
  // Per directed edge: flagging one direction masks both.
  const perEdge = new Uint8Array(batch.numEdges);
  perEdge[7] = 1;
  const g2 = groverGraph(batch, { maskBonds: perEdge });
  assert.deepEqual(g2.fBonds.data, groverGraph(batch, { maskBonds }).fBonds.data);
  assert.throws(() => groverGraph(batch, { maskBonds: new Uint8Array(3) }), /maskBonds/);
  // Index maps: reverse of the reverse, target = source of reverse, a2b lists incoming bonds.
  for (let b = 0; b < g.numBonds; b++) {
    assert.equal(g.b2revb[g.b2revb[b]!], b);
    assert.equal(g.b2tgt[b], g.b2a[g.b2revb[b]!]);
    assert.equal(g.bondGraph[b], g.atomGraph[g.b2a[b]!]);
  }
  for (let a = 0; a < g.numAtoms; a++) {
    for (let j = g.a2bOffsets[a]!; j < g.a2bOffsets[a + 1]!; j++) assert.equal(g.b2tgt[g.a2bList[j]!], a);
  }
});

test('rejects bad options and features', () => {
  assert.throws(() => new GroverEncoder({ ...TINY, hidden: 15 }, new T.Rng(1)), /divisible/);
  assert.throws(() => new GroverEncoder({ ...TINY, act: 'selu' as never }, new T.Rng(1)), /activation/);
  const chemprop = featurizeSmiles('CCO', getFeaturizer('chemprop'));
  assert.throws(() => groverGraph(batchGraphs([chemprop])), /grover/);
});
