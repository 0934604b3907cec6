// GraphCL (src/pretrain/objectives/graphcl.ts, graph-augment.ts): each augmentation on hand-checked
// molecules (atoms and bonds kept, connectivity, mask tokens, the source untouched, reproducible by
// seed), the contrastive loss against GraphCL's loss_cl computed by torch, the loss going down on
// the fixture molecules, and the CLI flags.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { getFeaturizer } from '../src/chem/featurizers/index.js';
import { batchGraphs, type GraphBatch } from '../src/data/batch.js';
import { featurizeSmiles } from '../src/data/molgraph.js';
import { ConfigError } from '../src/errors.js';
import { createEncoder, DEFAULT_ENCODER_OPTIONS } from '../src/models/encoders/registry.js';
import { inputSpecFor } from '../src/models/inputs.js';
import { loadEncoderFile } from '../src/models/model-file-node.js';
import type { PretrainEvent } from '../src/pretrain/loop.js';
import { encodeWith } from '../src/pretrain/objective.js';
import { MASK_ATOM_TYPE } from '../src/pretrain/objectives/attrmask.js';
import { augmentBatch, growSubgraph, parseAugmentation } from '../src/pretrain/objectives/graph-augment.js';
import { graphclLoss, graphclViews, readGraphCLOptions } from '../src/pretrain/objectives/graphcl.js';
import { getObjective } from '../src/pretrain/objectives/index.js';
import * as T from '../src/tensor/index.js';
import { runCli } from './helpers/cli.js';
import { FIXTURE_MOLS, useFixtureCorpus } from './helpers/pretrain-corpus.js';

const corpus = useFixtureCorpus('molgrove-pretrain-graphcl-');
const { tmp } = corpus;

// Acetic acid (4 atoms, 3 bonds), phenol (7, 7), decane (10, 9), methane (1, 0), methylamine (2, 1).
const SMILES = ['CC(=O)O', 'c1ccccc1O', 'CCCCCCCCCC', 'C', 'CN'];
const ATOMS = [4, 7, 10, 1, 2];
const BONDS = [3, 7, 9, 0, 1];

function batchOf(smiles: readonly string[], featurizer = 'hu'): GraphBatch {
  return batchGraphs(smiles.map((s) => featurizeSmiles(s, getFeaturizer(featurizer))));
}

/** The batch with atom type = the atom's source index, so a view's atoms name their source atom. */
function tagged(batch: GraphBatch): GraphBatch {
  const atomCodes = Int32Array.from(batch.atomCodes);
  for (let a = 0; a < batch.numAtoms; a++) atomCodes[2 * a] = a;
  return { ...batch, atomCodes };
}

function snapshot(b: GraphBatch) {
  return {
    atomCodes: Int32Array.from(b.atomCodes),
    bondCodes: Int32Array.from(b.bondCodes),
    atomFeatures: Float32Array.from(b.atomFeatures),
    edgeIndex: Int32Array.from(b.edgeIndex),
  };
}

const countsOf = (b: GraphBatch, offsets: Int32Array) =>
  Array.from({ length: b.numGraphs }, (_, g) => offsets[g + 1]! - offsets[g]!);

/** Source bonds (as 'u-v' of source atoms, u < v) of a view whose atom types are source indices. */
function viewBonds(view: GraphBatch): string[] {
  const m = view.numEdges;
  const out: string[] = [];
  for (let e = 0; e < m; e += 2) {
    const u = view.edgeIndex[e]!;
    const v = view.edgeIndex[m + e]!;
    // A bond's two directions stay together, reverse pointers valid (D-MPNN).
    assert.deepEqual([view.edgeIndex[e + 1], view.edgeIndex[m + e + 1]], [v, u]);
    assert.equal(view.revEdge[e], e + 1);
    assert.equal(view.revEdge[e + 1], e);
    assert.equal(view.graphIndex[u], view.graphIndex[v], 'bonds stay inside a molecule');
    const [a, b] = [view.atomCodes[2 * u]!, view.atomCodes[2 * v]!];
    out.push(a < b ? `${a}-${b}` : `${b}-${a}`);
  }
  return out;
}

function sourceBonds(batch: GraphBatch): string[] {
  const t = tagged(batch);
  return viewBonds(t);
}

test('augmentation names and ratios are checked', () => {
  assert.equal(parseAugmentation('dropn'), 'dropN');
  assert.equal(parseAugmentation('SubGraph'), 'subgraph');
  assert.throws(() => parseAugmentation('dropE'), ConfigError);
  const batch = batchOf(SMILES);
  assert.throws(() => augmentBatch(batch, 'dropN', 1, new T.Rng(0)), ConfigError);
  assert.throws(() => augmentBatch(batch, 'dropN', -0.1, new T.Rng(0)), ConfigError);
  assert.throws(() => readGraphCLOptions({ temperature: 0 }), ConfigError);
  assert.throws(() => readGraphCLOptions({ aug1: 'nope' }), /aug1/);
  assert.throws(() => readGraphCLOptions({ augRatio2: 1.5 }), /augRatio2/);
  assert.deepEqual(readGraphCLOptions({}), {
    aug1: 'random',
    aug2: 'random',
    augRatio1: 0.2,
    augRatio2: 0.2,
    temperature: 0.1,
  });
  for (const alias of ['graphcl', 'contrastive', 'graph-cl'])
    assert.equal(getObjective(alias).name, 'graphcl');
});

test('dropN: int(0.2·n) atoms leave with their bonds; the bonds between kept atoms all stay', () => {
  const batch = batchOf(SMILES);
  const src = tagged(batch);
  const before = snapshot(src);
  const view = augmentBatch(src, 'dropN', 0.2, new T.Rng(3));
  assert.deepEqual(snapshot(src), before, 'the source batch is untouched');
  // int(0.8) = 0, int(1.4) = 1, int(2) = 2, int(0.2) = 0, int(0.4) = 0 atoms dropped.
  assert.deepEqual(countsOf(view, view.atomOffsets), [4, 6, 8, 1, 2]);
  const kept = new Set(Array.from({ length: view.numAtoms }, (_, k) => view.atomCodes[2 * k]!));
  const expected = sourceBonds(batch).filter((s) => s.split('-').every((a) => kept.has(Number(a))));
  assert.deepEqual(viewBonds(view), expected, 'exactly the induced bonds, in order');
  assert.ok(expected.length < BONDS.reduce((x, y) => x + y, 0));
  // Each kept atom keeps its chirality and features.
  for (let k = 0; k < view.numAtoms; k++) {
    const a = view.atomCodes[2 * k]!;
    assert.equal(view.atomCodes[2 * k + 1], src.atomCodes[2 * a + 1]);
    assert.deepEqual(
      view.atomFeatures.subarray(2 * k, 2 * k + 2),
      src.atomFeatures.subarray(2 * a, 2 * a + 2),
    );
  }
  // Reproducible by seed, another seed drops other atoms.
  assert.deepEqual(augmentBatch(src, 'dropN', 0.2, new T.Rng(3)), view);
  assert.notDeepEqual(augmentBatch(src, 'dropN', 0.2, new T.Rng(4)).atomCodes, view.atomCodes);
  // A large ratio still leaves an atom in every molecule: int(0.95·n) < n.
  const heavy = augmentBatch(src, 'dropN', 0.95, new T.Rng(1));
  assert.deepEqual(countsOf(heavy, heavy.atomOffsets), [1, 1, 1, 1, 1]);
});

test('permE: int(0.2·b) whole bonds dropped, both directions together; atoms all kept', () => {
  const batch = batchOf(SMILES);
  const src = tagged(batch);
  const before = snapshot(src);
  const view = augmentBatch(src, 'permE', 0.2, new T.Rng(7));
  assert.deepEqual(snapshot(src), before);
  assert.deepEqual(countsOf(view, view.atomOffsets), ATOMS);
  assert.deepEqual(view.atomCodes, src.atomCodes);
  // int(0.6) = 0, int(1.4) = 1, int(1.8) = 1, 0, int(0.2) = 0 bonds dropped.
  assert.deepEqual(
    countsOf(view, view.edgeOffsets).map((e) => e / 2),
    [3, 6, 8, 0, 1],
  );
  const all = sourceBonds(batch);
  const bonds = viewBonds(view);
  assert.ok(bonds.every((b) => all.includes(b)));
  // Bond codes follow their bond.
  const m = view.numEdges;
  for (let e = 0; e < m; e++) {
    const u = view.edgeIndex[e]!;
    const v = view.edgeIndex[m + e]!;
    const se = Array.from({ length: src.numEdges }, (_, f) => f).find(
      (f) => src.edgeIndex[f] === u && src.edgeIndex[src.numEdges + f] === v,
    )!;
    assert.deepEqual(view.bondCodes.subarray(2 * e, 2 * e + 2), src.bondCodes.subarray(2 * se, 2 * se + 2));
  }
  assert.deepEqual(augmentBatch(src, 'permE', 0.2, new T.Rng(7)), view);
});

test("maskN: int(0.2·n) atoms per molecule get Hu's mask token (119, 0); float features are zeroed", () => {
  const batch = batchOf(SMILES);
  const before = snapshot(batch);
  const view = augmentBatch(batch, 'maskN', 0.2, new T.Rng(11));
  assert.deepEqual(snapshot(batch), before);
  assert.equal(MASK_ATOM_TYPE, 119);
  assert.deepEqual(view.edgeIndex, batch.edgeIndex);
  assert.deepEqual(view.bondCodes, batch.bondCodes);
  const perMolecule = Array.from({ length: batch.numGraphs }, (_, g) => {
    let masked = 0;
    for (let a = batch.atomOffsets[g]!; a < batch.atomOffsets[g + 1]!; a++) {
      const code = [view.atomCodes[2 * a], view.atomCodes[2 * a + 1]];
      if (code[0] === MASK_ATOM_TYPE) {
        masked++;
        assert.deepEqual(code, [119, 0]);
      } else assert.deepEqual(code, [batch.atomCodes[2 * a], batch.atomCodes[2 * a + 1]]);
    }
    return masked;
  });
  assert.deepEqual(perMolecule, [0, 1, 2, 0, 0]);

  // chemprop's float features: the masked atoms' rows are all zero, the others unchanged.
  const cp = batchOf(SMILES, 'chemprop');
  const d = cp.atomDim;
  const cv = augmentBatch(cp, 'maskN', 0.4, new T.Rng(11));
  let zero = 0;
  for (let a = 0; a < cp.numAtoms; a++) {
    const row = cv.atomFeatures.subarray(a * d, (a + 1) * d);
    if (cv.atomCodes[2 * a] === MASK_ATOM_TYPE) {
      zero++;
      assert.ok(row.every((x) => x === 0));
    } else assert.deepEqual(row, cp.atomFeatures.subarray(a * d, (a + 1) * d));
  }
  // int(1.6) + int(2.8) + int(4) + 0 + 0 = 1 + 2 + 4.
  assert.equal(zero, 7);
  assert.deepEqual(augmentBatch(cp, 'maskN', 0.4, new T.Rng(11)), cv);
});

/** Atoms of molecule g of the view reachable from its first atom. */
function reachable(view: GraphBatch, g: number): number {
  const a0 = view.atomOffsets[g]!;
  const n = view.atomOffsets[g + 1]! - a0;
  const m = view.numEdges;
  const seen = new Set([a0]);
  const stack = [a0];
  while (stack.length > 0) {
    const a = stack.pop()!;
    for (let e = view.edgeOffsets[g]!; e < view.edgeOffsets[g + 1]!; e++)
      if (view.edgeIndex[e] === a && !seen.has(view.edgeIndex[m + e]!)) {
        seen.add(view.edgeIndex[m + e]!);
        stack.push(view.edgeIndex[m + e]!);
      }
  }
  assert.ok(seen.size <= n);
  return seen.size;
}

test('subgraph: a connected subgraph of n − int(0.2·n) atoms with all its bonds', () => {
  // A salt-like pair: the subgraph never leaves the seed's component (nonane + water: 10 atoms).
  const smiles = [...SMILES, 'CCCCCCCCC.O'];
  const batch = batchOf(smiles);
  const src = tagged(batch);
  const before = snapshot(src);
  const sizes = new Set<number>();
  for (let seed = 0; seed < 12; seed++) {
    const view = augmentBatch(src, 'subgraph', 0.2, new T.Rng(seed));
    const counts = countsOf(view, view.atomOffsets);
    assert.deepEqual(counts.slice(0, 5), [4, 6, 8, 1, 2]);
    assert.ok(counts[5] === 8 || counts[5] === 1, `salt: ${counts[5]}`);
    sizes.add(counts[5]!);
    for (let g = 0; g < view.numGraphs; g++)
      assert.equal(reachable(view, g), counts[g], `molecule ${g} connected`);
    const kept = new Set(Array.from({ length: view.numAtoms }, (_, k) => view.atomCodes[2 * k]!));
    const induced = sourceBonds(batch).filter((s) => s.split('-').every((a) => kept.has(Number(a))));
    assert.deepEqual(viewBonds(view), induced);
  }
  assert.deepEqual(snapshot(src), before);
  assert.ok(sizes.has(8), 'the chain is drawn as seed most of the time');

  // growSubgraph on a path 0-1-2-3-4: 3 atoms form a contiguous run.
  const path = [[1], [0, 2], [1, 3], [2, 4], [3]];
  for (let seed = 0; seed < 10; seed++) {
    const sub = growSubgraph(path, 3, new T.Rng(seed)).sort((a, b) => a - b);
    assert.equal(sub.length, 3);
    assert.equal(sub[2]! - sub[0]!, 2, `contiguous: ${sub}`);
  }
});

test('random: each molecule gets dropN or subgraph; none is the batch itself; views by seed', () => {
  const batch = batchOf(SMILES);
  assert.equal(augmentBatch(batch, 'none', 0.2, new T.Rng(0)), batch);
  const view = augmentBatch(batch, 'random', 0.2, new T.Rng(5));
  assert.deepEqual(countsOf(view, view.atomOffsets), [4, 6, 8, 1, 2]);

  const o = readGraphCLOptions({ aug1: 'dropN', aug2: 'subgraph' });
  const a = graphclViews(batch, o, new T.Rng(9));
  const b = graphclViews(batch, o, new T.Rng(9));
  assert.deepEqual(a, b, 'same seed, same views');
  assert.equal(a.view1.numGraphs, batch.numGraphs);
  assert.equal(a.view2.numGraphs, batch.numGraphs);
  assert.notDeepEqual(graphclViews(batch, o, new T.Rng(10)), a);
});

// x1, x2 and the values below: GraphCL's graphcl.loss_cl run by torch 1.13 in float64 (T = 0.1 is
// the reference's; T = 0.5 and its gradients too).
const X1 = [1, 0, 2, 0.5, -1, 1, -1, 2, 0.5];
const X2 = [0.8, 0.3, 1.5, 1, -1, 0, -0.5, 1, 1];
const TORCH_T01 = -4.454305748475369;
const TORCH_T05 = -0.6094234493463578;
const TORCH_TWO_ROWS_T01 = -3.7870917500095316;
const TORCH_GRAD1_T05 = [
  -0.023423387705974255, -0.031169004051796873, 0.01171169385298701, -0.1415452099564239, 0.36565349124616137,
  0.43642609622437334, 0.13180629333238741, 0.044462094485962694, 0.08576420872092397,
];
const TORCH_GRAD2_T05 = [
  -0.1546872391402359, 0.11650930618437527, 0.05919799963791732, 0.13533643372540716, 0.13533643372540716,
  -0.11997982297195482, 0.23928139644429736, -0.25391412367957933, 0.37355482190172795,
];

/** loss_cl with plain loops in float64: −mean log(exp(s_ii/τ) / Σ_{j≠i} exp(s_ij/τ)). */
function lossByHand(x1: number[], x2: number[], b: number, d: number, tau: number): number {
  const norm = (x: number[], i: number) => Math.hypot(...x.slice(i * d, (i + 1) * d));
  let total = 0;
  for (let i = 0; i < b; i++) {
    const e: number[] = [];
    for (let j = 0; j < b; j++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += x1[i * d + k]! * x2[j * d + k]!;
      e.push(Math.exp(dot / (norm(x1, i) * norm(x2, j)) / tau));
    }
    const rowSum = e.reduce((s, v) => s + v, 0);
    total += -Math.log(e[i]! / (rowSum - e[i]!));
  }
  return total / b;
}

test("contrastive loss = GraphCL's loss_cl (one direction, positive left out of the denominator)", () => {
  assert.ok(Math.abs(lossByHand(X1, X2, 3, 3, 0.1) - TORCH_T01) < 1e-12);
  assert.ok(Math.abs(lossByHand(X1, X2, 3, 3, 0.5) - TORCH_T05) < 1e-12);
  for (const [tau, want] of [
    [0.1, TORCH_T01],
    [0.5, TORCH_T05],
  ] as const) {
    const got = graphclLoss(T.tensor(X1, [3, 3]), T.tensor(X2, [3, 3]), tau).item();
    assert.ok(Math.abs(got - want) < 1e-5, `τ ${tau}: ${got} vs ${want}`);
  }
  const two = graphclLoss(T.tensor(X1.slice(0, 6), [2, 3]), T.tensor(X2.slice(0, 6), [2, 3]), 0.1).item();
  assert.ok(Math.abs(two - TORCH_TWO_ROWS_T01) < 1e-5);
  // Swapping the views changes the value: the loss is not symmetrized.
  const swapped = graphclLoss(T.tensor(X2, [3, 3]), T.tensor(X1, [3, 3]), 0.1).item();
  assert.ok(Math.abs(swapped - lossByHand(X2, X1, 3, 3, 0.1)) < 1e-5);
  assert.ok(Math.abs(swapped - TORCH_T01) > 0.1);

  // Gradients as torch's.
  const z1 = T.tensor(X1, [3, 3], true);
  const z2 = T.tensor(X2, [3, 3], true);
  T.backward(graphclLoss(z1, z2, 0.5));
  const g1 = T.gradOf(z1);
  const g2 = T.gradOf(z2);
  TORCH_GRAD1_T05.forEach((v, i) => {
    assert.ok(Math.abs(g1[i]! - v) < 1e-5, `dz1[${i}] ${g1[i]} vs ${v}`);
  });
  TORCH_GRAD2_T05.forEach((v, i) => {
    assert.ok(Math.abs(g2[i]! - v) < 1e-5, `dz2[${i}] ${g2[i]} vs ${v}`);
  });

  // A tiny temperature stays finite (exp(s/τ) itself would overflow float32) and matches float64.
  const cold = graphclLoss(T.tensor(X1, [3, 3]), T.tensor(X2, [3, 3]), 0.005).item();
  assert.ok(Number.isFinite(cold));
  let byHand = 0;
  {
    // Same loss in log space, float64.
    const d = 3;
    const cos = (i: number, j: number) => {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += X1[i * d + k]! * X2[j * d + k]!;
      return dot / (Math.hypot(...X1.slice(i * d, i * d + d)) * Math.hypot(...X2.slice(j * d, j * d + d)));
    };
    for (let i = 0; i < 3; i++) {
      const others = [0, 1, 2].filter((j) => j !== i).map((j) => cos(i, j) / 0.005);
      const m = Math.max(...others);
      byHand += m + Math.log(others.reduce((s, v) => s + Math.exp(v - m), 0)) - cos(i, i) / 0.005;
    }
    byHand /= 3;
  }
  assert.ok(Math.abs(cold - byHand) / Math.abs(byHand) < 1e-4, `${cold} vs ${byHand}`);

  // One molecule: no negative, loss 0 and zero gradients.
  const s1 = T.tensor([1, 2, 3], [1, 3], true);
  const s2 = T.tensor([3, 2, 1], [1, 3], true);
  const lone = graphclLoss(s1, s2, 0.1);
  assert.equal(lone.item(), 0);
  T.backward(lone);
  assert.ok(T.gradOf(s1).every((v) => v === 0));
});

test('the loss reaches the encoder and both projection layers; D-MPNN runs on bond-dropped views', () => {
  for (const [arch, featurizer, aug] of [
    ['gin', 'hu', 'maskN'],
    ['dmpnn', 'chemprop', 'permE'],
  ] as const) {
    const batch = batchOf(SMILES, featurizer);
    const f = getFeaturizer(featurizer);
    const encoder = createEncoder(
      arch,
      inputSpecFor(f.name, f.atomDim, f.bondDim),
      { dim: 8, layers: 2, dropout: 0 },
      new T.Rng(1),
    );
    const objective = getObjective('graphcl').create({
      dim: encoder.outDim,
      options: { aug1: 'subgraph', aug2: aug, augRatio2: 0.5 },
      input: FIXTURE_MOLS,
      encoderOptions: { ...DEFAULT_ENCODER_OPTIONS, dim: 8, layers: 2 },
      rng: new T.Rng(2),
      makeEncoder: () => assert.fail('graphcl needs no second encoder'),
    });
    const prepared = objective.prepare(
      { graphs: batch, rows: new Int32Array(batch.numGraphs), labels: {} },
      new T.Rng(3),
    );
    const loss = objective.loss(encodeWith(encoder), prepared);
    assert.ok(Number.isFinite(loss.values.total) && loss.values.total === loss.total.item());
    assert.ok(loss.values['acc']! >= 0 && loss.values['acc']! <= 1);
    T.backward(loss.total);
    const named = [...encoder.namedParameters('encoder.'), ...objective.head.namedParameters('head.')];
    assert.ok(named.some(([n]) => n.startsWith('head.projection_head_0.')));
    assert.ok(named.some(([n]) => n.startsWith('head.projection_head_2.')));
    for (const [n, p] of named) {
      if (/running_|num_batches/.test(n)) continue;
      assert.ok(
        p.grad?.some((v) => v !== 0),
        `${arch}: ${n} gets a gradient`,
      );
    }
  }
});

test('graphcl on a tiny GIN lowers the loss on the fixture molecules (dropN + subgraph)', async () => {
  const events: PretrainEvent[] = [];
  const r = await corpus.run({
    dir: join(tmp, 'run'),
    arch: 'gin',
    encoderOptions: { dim: 32, layers: 2, dropout: 0 },
    objective: 'graphcl',
    objectiveOptions: { aug1: 'dropN', aug2: 'subgraph' },
    // Batches of a whole shard (20): the loss's scale depends on the batch size (log(B − 1) negatives),
    // so a shard's 16 + 4 split would make epoch means noise.
    config: { epochs: 4, batchSize: 20, lr: 3e-3 },
    inline: true,
    onEvent: (e) => events.push(e),
  });
  assert.ok(r.completed);
  const epochs = events.filter((e) => e.type === 'epoch');
  console.log(
    `graphcl train loss ${epochs.map((e) => e.trainLoss.toFixed(3)).join(' → ')}, ` +
      `valid ${epochs.map((e) => e.validLoss.toFixed(3)).join(' → ')}`,
  );
  assert.equal(epochs.length, 4);
  assert.ok(epochs.every((e) => Number.isFinite(e.trainLoss)));
  assert.ok(epochs[3]!.trainLoss < epochs[0]!.trainLoss - 0.3, 'train loss goes down');
  assert.ok(epochs[3]!.validLoss < epochs[0]!.validLoss, 'valid loss goes down');
  const enc = await loadEncoderFile(r.summary!.model);
  assert.equal(enc.info['objective'], 'graphcl');
  assert.ok(
    !Object.keys(enc.state).some((k) => k.includes('projection_head')),
    'the head is not in the encoder',
  );
});

test('CLI: pretrain --arch gin --objective graphcl --aug1 dropN --aug2 permE --aug-ratio1 … --temperature …', async () => {
  const out = join(tmp, 'cli-run');
  const args = corpus.cliArgs(
    'graphcl',
    out,
    { epochs: 1, limit: 30, layers: 1 },
    '--aug1 dropN --aug2 permE --aug-ratio1 0.1 --aug-ratio2 0.3 --temperature 0.2',
  );
  const r = await runCli(args);
  assert.equal(r.code, 0, r.err);
  const summary = JSON.parse(r.out);
  assert.ok(Number.isFinite(summary.finalTrainLoss));
  const enc = await loadEncoderFile(join(out, 'pretrained.mgv'));
  assert.deepEqual(enc.info['objectiveOptions'], {
    aug1: 'dropN',
    aug2: 'permE',
    augRatio1: 0.1,
    augRatio2: 0.3,
    temperature: 0.2,
  });
  const bad = await runCli([...args.slice(0, -1), '--aug1', 'shuffle']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /aug1/);
  assert.equal((await runCli([...args.slice(0, -1), '--mask-rate', '0.3'])).code, 2);
});
