// Edge prediction and Deep Graph Infomax (Hu et al. 2020; src/pretrain/objectives/edgepred.ts,
// infomax.ts): positives and sampled negatives on hand-checked molecules, the sampling rule step by
// step, both losses and their gradients on hand-made embeddings against numbers computed with
// PyTorch 1.13 following pretrain-gnns' code, determinism, and the loss going down end to end.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { getFeaturizer } from '../src/chem/featurizers/index.js';
import { batchGraphs, type GraphBatch } from '../src/data/batch.js';
import { featurizeSmiles } from '../src/data/molgraph.js';
import type { EncoderOptions } from '../src/models/encoders/options.js';
import { GraphView } from '../src/models/graph.js';
import type { PretrainEvent } from '../src/pretrain/loop.js';
import type { ObjectiveContext, PretrainBatch } from '../src/pretrain/objective.js';
import {
  DRAWS_PER_DIRECTED_EDGE,
  edgePredLoss,
  type NodePairs,
  positiveEdges,
  sampleNegativeEdges,
} from '../src/pretrain/objectives/edgepred.js';
import { getObjective } from '../src/pretrain/objectives/index.js';
import { Discriminator, infomaxLoss, negativeGraphs } from '../src/pretrain/objectives/infomax.js';
import * as T from '../src/tensor/index.js';
import { FIXTURE_MOLS, useFixtureCorpus } from './helpers/pretrain-corpus.js';

const corpus = useFixtureCorpus('molgrove-edgepred-infomax-');
const { tmp } = corpus;

const batchOf = (smiles: readonly string[]): GraphBatch =>
  batchGraphs(smiles.map((s) => featurizeSmiles(s, getFeaturizer('hu'))));

const pretrainBatch = (graphs: GraphBatch): PretrainBatch => ({
  graphs,
  rows: Int32Array.from({ length: graphs.numGraphs }, (_, i) => i),
  labels: {},
});

function context(dim: number, seed: number): ObjectiveContext {
  return {
    dim,
    options: {},
    input: FIXTURE_MOLS,
    encoderOptions: {} as EncoderOptions,
    rng: new T.Rng(seed),
    makeEncoder: () => {
      throw new Error('not used');
    },
  };
}

/** Unordered bonded pairs of the batch, as "u-v" with u < v (global indices). */
function bondSet(batch: GraphBatch): Set<string> {
  const s = new Set<string>();
  for (let e = 0; e < batch.numEdges; e++) {
    const u = batch.edgeIndex[e]!;
    const v = batch.edgeIndex[batch.numEdges + e]!;
    s.add(`${Math.min(u, v)}-${Math.max(u, v)}`);
  }
  return s;
}

/** A stand-in generator returning scripted integers, counting the draws. */
function scripted(values: number[]): { rng: T.Rng; draws: () => number } {
  let i = 0;
  const rng = {
    int: (n: number) => {
      const v = values[i++ % values.length]!;
      assert.ok(v < n);
      return v;
    },
  } as unknown as T.Rng;
  return { rng, draws: () => i };
}

const close = (a: number, b: number, tol = 1e-5) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

function assertClose(got: ArrayLike<number>, want: readonly number[], what: string, tol = 1e-5): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++)
    assert.ok(close(got[i]!, want[i]!, tol), `${what}[${i}]: ${got[i]} vs ${want[i]}`);
}

test('edgepred: one positive per bond; negatives are non-bonded pairs of one molecule, min(bonds, free pairs)', () => {
  for (const alias of ['edge-pred', 'linkpred', 'EdgePred'])
    assert.equal(getObjective(alias).name, 'edgepred');
  // Atoms in SMILES order. free = n(n−1)/2 − bonds unordered non-bonded pairs; expected negatives =
  // min(bonds, free): ethanol 3 atoms, 2 bonds, free {0,2} → 1; cyclopropane and ethane: every pair
  // bonded → 0; methane (one atom) → 0; a salt without bonds → 0 (the reference asks bonds = 0);
  // hexane 6 atoms, 5 bonds, 10 free → 5; phenol 7 atoms, 7 bonds, 14 free → 7.
  const smiles = ['CCO', 'C1CC1', 'CC', 'C', '[Na+].[Cl-]', 'CCCCCC', 'c1ccccc1O'];
  const bonds = [2, 3, 1, 0, 0, 5, 7];
  const expect = [1, 0, 0, 0, 0, 5, 7];
  const batch = batchOf(smiles);
  const pos = positiveEdges(batch);
  assert.equal(
    pos.src.length,
    bonds.reduce((a, b) => a + b),
  );
  const m = batch.numEdges;
  for (let k = 0; k < pos.src.length; k++) {
    // Edge 2k is bond k's first direction and 2k + 1 its reverse.
    assert.deepEqual([pos.src[k], pos.dst[k]], [batch.edgeIndex[2 * k], batch.edgeIndex[m + 2 * k]]);
    assert.deepEqual([pos.dst[k], pos.src[k]], [batch.edgeIndex[2 * k + 1], batch.edgeIndex[m + 2 * k + 1]]);
  }
  const posKeys = new Set(
    Array.from(pos.src, (u, k) => `${Math.min(u, pos.dst[k]!)}-${Math.max(u, pos.dst[k]!)}`),
  );
  assert.deepEqual(posKeys, bondSet(batch), 'every bond once');
  // Ethanol's bonds by hand: C0–C1 and C1–O2.
  assert.deepEqual(new Set([...posKeys].filter((k) => Number(k.split('-')[1]) < 3)), new Set(['0-1', '1-2']));

  const bonded = bondSet(batch);
  for (let seed = 0; seed < 20; seed++) {
    const neg = sampleNegativeEdges(batch, new T.Rng(seed));
    const perMol = new Array<number>(smiles.length).fill(0);
    const seen = new Set<string>();
    for (let i = 0; i < neg.src.length; i++) {
      const u = neg.src[i]!;
      const v = neg.dst[i]!;
      const g = batch.graphIndex[u]!;
      assert.equal(batch.graphIndex[v], g, 'both ends in the same molecule');
      assert.notEqual(u, v, 'never a self pair');
      const key = `${Math.min(u, v)}-${Math.max(u, v)}`;
      assert.ok(!bonded.has(key), `never a bond (${smiles[g]}: ${key})`);
      assert.ok(!seen.has(key), 'never the same pair twice, in either order');
      seen.add(key);
      perMol[g]!++;
    }
    // The draw budget (10 · bonds) could in principle run out first; with these seeds it never does.
    assert.deepEqual(perMol, expect, `seed ${seed}`);
  }
  // Ethanol's only negative is {C0, O2}.
  const first = sampleNegativeEdges(batchOf(['CCO']), new T.Rng(3));
  assert.deepEqual(new Set([first.src[0], first.dst[0]]), new Set([0, 2]));
});

test("edgepred: the reference's drawing rule, step by step, and its draw budget", () => {
  // Butane: atoms 0–3, bonds 0–1, 1–2, 2–3 → 3 negatives wanted. Scripted draws (u, v):
  // (1,1) self: skip; (0,1) bond: skip; (2,0) keep; (0,2) the same pair reversed: skip; (3,0) keep;
  // (2,1) bond reversed: skip; (1,3) keep → done after 7 draws of pairs.
  const butane = batchOf(['CCCC']);
  const s = scripted([1, 1, 0, 1, 2, 0, 0, 2, 3, 0, 2, 1, 1, 3, 0, 3]);
  const neg = sampleNegativeEdges(butane, s.rng);
  assert.deepEqual(Array.from(neg.src), [2, 3, 1]);
  assert.deepEqual(Array.from(neg.dst), [0, 0, 3]);
  assert.equal(s.draws(), 14, '7 pairs drawn, then it stops');
  // Draws that never give a usable pair: 5 · num_edges (directed) pairs, then it gives up.
  const stuck = scripted([0]);
  const none = sampleNegativeEdges(butane, stuck.rng);
  assert.equal(none.src.length, 0);
  assert.equal(stuck.draws(), 2 * DRAWS_PER_DIRECTED_EDGE * 6);
  // No drawing at all where nothing can be a negative.
  const idle = scripted([0]);
  assert.equal(sampleNegativeEdges(batchOf(['C1CC1', 'C', 'CC']), idle.rng).src.length, 0);
  assert.equal(idle.draws(), 0);
});

// Hand-made embeddings (6 atoms, dim 3): a 4-atom chain 0–1–2–3 and a bonded pair 4–5.
const H = [
  [0.5, -1.0, 0.25],
  [1.5, 0.5, -0.5],
  [-0.75, 0.25, 1.0],
  [0.2, 0.4, -0.6],
  [-1.2, 0.3, 0.8],
  [0.9, -0.1, 0.35],
];

test('edgepred loss and gradient on fixed embeddings equal PyTorch on the reference formula', () => {
  const nodes = T.tensor(H.flat(), [6, 3], true);
  const positives: NodePairs = { src: Int32Array.of(0, 1, 2, 4), dst: Int32Array.of(1, 2, 3, 5) };
  const negatives: NodePairs = { src: Int32Array.of(0, 3, 0), dst: Int32Array.of(2, 1, 3) };
  const loss = edgePredLoss(nodes, positives, negatives);
  // torch: criterion(Σ h[ei[0, ::2]] * h[ei[1, ::2]], 1) + criterion(Σ h[neg[0]] * h[neg[1]], 0);
  // scores 0.125, −1.5, −0.65, −0.83 and −0.375, 0.8, −0.45.
  assertClose(
    [loss.values.total, loss.values['pos']!, loss.values['neg']!],
    [1.8781484856093447, 1.1489908602476537, 0.729157625361691],
    'loss',
  );
  assert.equal(loss.values['posAcc'], 1 / 4);
  assert.equal(loss.values['negAcc'], 2 / 3);
  assert.equal(loss.values['acc'], 3 / 7);
  T.backward(loss.total);
  const grad = [
    [-0.2516725, 0.0272604, 0.1165045],
    [0.1406947, 0.1580958, -0.3716879],
    [-0.2715521, -0.3036757, 0.2346928],
    [0.5330702, -0.0558543, -0.2468016],
    [-0.1566799, 0.0174089, -0.0609311],
    [0.2089065, -0.0522266, -0.139271],
  ];
  assertClose(nodes.grad!, grad.flat(), 'dL/dh', 1e-5);

  // Nothing to score on one side: that term is 0 and the other stands alone.
  const onlyPos = edgePredLoss(T.tensor(H.flat(), [6, 3], true), positives, {
    src: new Int32Array(0),
    dst: new Int32Array(0),
  });
  assertClose([onlyPos.values.total, onlyPos.values['neg']!], [1.1489908602476537, 0], 'no negatives');
  assert.equal(onlyPos.values['acc'], 1 / 4);
});

test('edgepred: the same seed prepares the same batch; another seed other negatives', () => {
  const objective = getObjective('edgepred').create(context(8, 1));
  assert.equal(objective.head.parameters().length, 0, 'no parameters of its own');
  const batch = pretrainBatch(batchOf(['CCCCCCCC', 'c1ccccc1O', 'CC(=O)Nc1ccc(O)cc1', 'CCO']));
  type P = { positives: NodePairs; negatives: NodePairs };
  const a = objective.prepare(batch, new T.Rng(11)) as P;
  const b = objective.prepare(batch, new T.Rng(11)) as P;
  const c = objective.prepare(batch, new T.Rng(12)) as P;
  assert.deepEqual(a, b);
  assert.deepEqual(a.positives, c.positives);
  assert.notDeepEqual(a.negatives, c.negatives);
});

test('infomax: molecule g is contrasted with the summary of molecule (g + 1) mod n, never its own', () => {
  for (const alias of ['dgi', 'deep-graph-infomax', 'Infomax'])
    assert.equal(getObjective(alias).name, 'infomax');
  for (let n = 2; n <= 7; n++) {
    const neg = negativeGraphs(n);
    assert.equal(neg.length, n);
    neg.forEach((h, g) => {
      assert.notEqual(h, g);
      assert.equal(h, (g + 1) % n);
    });
    assert.equal(new Set(neg).size, n, 'every summary is used once as a negative');
  }
  assert.equal(negativeGraphs(1).length, 0, 'one molecule: no negative');
  // torch_geometric's uniform(size, W): U(±1/√size).
  const w = new Discriminator(16, new T.Rng(2)).weight.data;
  assert.equal(w.length, 256);
  const top = Math.max(...Array.from(w, Math.abs));
  assert.ok(top <= 0.25 && top > 0.23, `|w| ≤ 1/4, got ${top}`);
  // The prepared batch holds no randomness: the same for any seed.
  const objective = getObjective('infomax').create(context(8, 1));
  const batch = pretrainBatch(batchOf(['CCO', 'CN', 'c1ccccc1']));
  const a = objective.prepare(batch, new T.Rng(1)) as { negativeGraph: Int32Array };
  assert.deepEqual(a, objective.prepare(batch, new T.Rng(2)));
  assert.deepEqual(Array.from(a.negativeGraph), [1, 2, 0]);
  assert.deepEqual(
    objective.head.parameters().map((p) => p.shape),
    [[8, 8]],
  );
});

test('infomax loss and gradients on fixed embeddings equal PyTorch on the reference code', () => {
  // Ethanol (atoms 0–2) and methylamine (atoms 3–4), the first five rows of H; W fixed.
  const view = new GraphView(batchOf(['CCO', 'CN']));
  assert.deepEqual(Array.from(view.graphIndex), [0, 0, 0, 1, 1]);
  const disc = new Discriminator(3, new T.Rng(0));
  disc.weight.data.set([0.3, -0.2, 0.1, 0.05, 0.4, -0.3, -0.25, 0.15, 0.2]);
  const nodes = T.tensor(H.slice(0, 5).flat(), [5, 3], true);
  const loss = infomaxLoss(nodes, view, disc, negativeGraphs(2));
  // torch: s = sigmoid(global_mean_pool(h)); score = Σ h * (s[batch] @ W) and with s[cycle_index(2, 1)].
  assertClose(
    [loss.values.total, loss.values['pos']!, loss.values['neg']!],
    [1.366615067601968, 0.6733333931728966, 0.6932816744290713],
    'loss',
  );
  // Positive scores −0.116, 0.160, 0.020, 0.117, 0.031; negative −0.241, 0.153, 0.018, 0.058, −0.007.
  assert.equal(loss.values['posAcc'], 4 / 5);
  assert.equal(loss.values['negAcc'], 2 / 5);
  assert.equal(loss.values['acc'], 6 / 10);
  T.backward(loss.total);
  const gradH = [
    [-0.0131439, 0.0086603, -0.0012681],
    [-0.0120379, 0.0154581, -0.0015205],
    [-0.0125626, 0.0127725, -0.001499],
    [0.0159545, -0.0104094, -0.0012911],
    [0.0156972, -0.0119378, -0.001242],
  ];
  const gradW = [
    [-0.0435021, 0.0351616, -0.0193711],
    [0.0310303, 0.0061315, -0.0019911],
    [-0.0009905, 0.0196313, -0.0099785],
  ];
  assertClose(nodes.grad!, gradH.flat(), 'dL/dh', 1e-4);
  assertClose(disc.weight.grad!, gradW.flat(), 'dL/dW', 1e-4);

  // One molecule: no negatives, the positive term alone (the reference would pair it with itself).
  const single = infomaxLoss(
    T.tensor(H.slice(0, 3).flat(), [3, 3], true),
    new GraphView(batchOf(['CCO'])),
    disc,
    negativeGraphs(1),
  );
  assertClose([single.values.total, single.values['neg']!], [0.6842642508454619, 0], 'one molecule');
});

async function train(objective: string, dir: string, lr: number, epochs: number) {
  const events: PretrainEvent[] = [];
  const r = await corpus.run({
    dir: join(tmp, dir),
    arch: 'gin',
    encoderOptions: { dim: 16, layers: 2, dropout: 0 },
    objective,
    inline: true,
    config: { epochs, batchSize: 8, lr },
    onEvent: (e) => events.push(e),
  });
  assert.ok(r.completed);
  const out = events.flatMap((e) => (e.type === 'epoch' ? [e] : []));
  assert.equal(out.length, epochs);
  console.log(`${dir} train loss ${out.map((e) => e.trainLoss.toFixed(3)).join(' → ')}`);
  return { first: out[0]!.trainLoss, last: out[epochs - 1]!.trainLoss, valid: out[epochs - 1]!.validLoss };
}

test('edgepred lowers its loss on the fixture molecules (tiny GIN)', async () => {
  // Seen: 4.97 → 3.89 → 3.12 → 2.91 (dot products of untrained embeddings start far from 0).
  const { first, last, valid } = await train('linkpred', 'edgepred', 3e-3, 4);
  assert.ok(last < first - 1, `train ${first} → ${last}`);
  assert.ok(Number.isFinite(valid));
});

test('infomax lowers its loss below chance on the fixture molecules (tiny GIN)', async () => {
  // Chance (every score 0) is 2 ln 2 ≈ 1.386. Seen: 1.60 → 1.32 → 1.26 → 1.21 → 1.18. DGI on 40
  // training molecules is noisy at larger learning rates, hence 1e-3.
  const { first, last, valid } = await train('dgi', 'infomax', 1e-3, 5);
  assert.ok(last < first, `train ${first} → ${last}`);
  assert.ok(last < 2 * Math.LN2 - 0.1, `train ${last} is not below chance`);
  assert.ok(Number.isFinite(valid));
});
