// Context prediction (src/pretrain/objectives/contextpred.ts, Hu et al. 2020): substructures,
// context rings and anchors on hand-checked molecules, the negative pairing, seeded preparation,
// gradients reaching both GNNs, the loss going down on the fixture corpus, the encoder file holding
// the main encoder only, and the CLI.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { getFeaturizer } from '../src/chem/featurizers/index.js';
import { batchGraphs, type GraphBatch } from '../src/data/batch.js';
import { featurizeSmiles } from '../src/data/molgraph.js';
import { createEncoder, DEFAULT_ENCODER_OPTIONS } from '../src/models/encoders/registry.js';
import { inputSpecFor } from '../src/models/inputs.js';
import { loadEncoderFile } from '../src/models/model-file-node.js';
import type { PretrainEvent } from '../src/pretrain/loop.js';
import { encodeWith, type ObjectiveOptions, type PretrainBatch } from '../src/pretrain/objective.js';
import {
  type ContextPairs,
  contextRadii,
  drawCenters,
  extractContextPairs,
  hopDistances,
  negativeContexts,
} from '../src/pretrain/objectives/contextpred.js';
import { getObjective } from '../src/pretrain/objectives/index.js';
import * as T from '../src/tensor/index.js';
import { runCli } from './helpers/cli.js';
import { FIXTURE_MOLS, useFixtureCorpus } from './helpers/pretrain-corpus.js';

const corpus = useFixtureCorpus('molgrove-contextpred-');
const { tmp } = corpus;

const batchOf = (smiles: string[]): GraphBatch =>
  batchGraphs(smiles.map((s) => featurizeSmiles(s, getFeaturizer('hu'))));

/** Atoms of molecule i of a subgraph batch. */
function atomsOf(sub: GraphBatch, i: number): number {
  return sub.atomOffsets[i + 1]! - sub.atomOffsets[i]!;
}

function bondsOf(sub: GraphBatch, i: number): number {
  return (sub.edgeOffsets[i + 1]! - sub.edgeOffsets[i]!) / 2;
}

/** Local indices of a molecule's atoms whose distance passes `keep`. */
function within(dist: Int32Array, a0: number, n: number, keep: (d: number) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (dist[a0 + i]! >= 0 && keep(dist[a0 + i]!)) out.push(i);
  return out;
}

test('contextpred: k-hop substructure, context ring (r1, r2], anchors, on hand-checked molecules', () => {
  assert.equal(getObjective('context-pred').name, 'contextpred');
  assert.equal(getObjective('ContextPrediction').name, 'contextpred');
  // Hu et al.: r1 = k − 1, r2 = r1 + csize; k = 5, csize 3 → (4, 7]. A zero r1 is the empty ball.
  assert.deepEqual(contextRadii(5, 3), { k: 5, lower: 4, upper: 7 });
  assert.deepEqual(contextRadii(2, 3), { k: 2, lower: 1, upper: 4 });
  assert.deepEqual(contextRadii(1, 3), { k: 1, lower: -1, upper: 3 });

  // Decane 0–9, center 4; ethylbenzene c1ccccc1CC: ring 0–5, 5–6, 6–7, center 7; ethane, center 0.
  const batch = batchOf(['CCCCCCCCCC', 'c1ccccc1CC', 'CC']);
  const centers = Int32Array.from([4, 10 + 7, 18 + 0]);
  const dist = hopDistances(batch, centers);
  assert.deepEqual([...dist.subarray(0, 10)], [4, 3, 2, 1, 0, 1, 2, 3, 4, 5]);
  assert.deepEqual([...dist.subarray(10, 18)], [3, 4, 5, 4, 3, 2, 1, 0]);
  assert.deepEqual([...dist.subarray(18, 20)], [0, 1]);

  // k = 2, csize 3: substructure d ≤ 2, context 1 < d ≤ 4, anchors d = 2.
  const p = extractContextPairs(batch, centers, contextRadii(2, 3), 1);
  assert.deepEqual([...p.molecules], [0, 1], 'ethane has no atom beyond distance 1: dropped');
  // Decane: substructure atoms 2–6 (4 bonds), context 0, 1, 2 and 6, 7, 8 (2 + 2 bonds).
  assert.deepEqual(
    within(dist, 0, 10, (d) => d <= 2),
    [2, 3, 4, 5, 6],
  );
  assert.equal(atomsOf(p.substruct, 0), 5);
  assert.equal(bondsOf(p.substruct, 0), 4);
  assert.equal(atomsOf(p.context, 0), 6);
  assert.equal(bondsOf(p.context, 0), 4);
  // The center is substructure atom 2 (atoms 2, 3, 4 kept in order).
  assert.equal(p.substructCenters[0], 2);
  // Ethylbenzene: substructure {5, 6, 7} (2 bonds); context {0, 1, 3, 4, 5}: bonds 0–1, 0–5, 3–4, 4–5.
  assert.equal(atomsOf(p.substruct, 1), 3);
  assert.equal(bondsOf(p.substruct, 1), 2);
  assert.equal(p.substructCenters[1], 5 + 2);
  assert.equal(atomsOf(p.context, 1), 5);
  assert.equal(bondsOf(p.context, 1), 4);
  // Anchors (context rows): decane's atoms 2 and 6 are context rows 2 and 3; ethylbenzene's atom 5
  // is its context row 4, after decane's 6 rows.
  assert.deepEqual([...p.anchors], [2, 3, 6 + 4]);
  assert.deepEqual([...p.anchorGraph], [0, 0, 1]);
  // Substructure atoms keep their codes (all carbons: type 5).
  assert.ok([...p.substruct.atomCodes].every((c, i) => i % 2 === 1 || c === 5));
  // The context batch's edges stay inside their molecule.
  const m = p.context.numEdges;
  for (let e = 0; e < m; e++) {
    const g = p.context.graphIndex[p.context.edgeIndex[e]!];
    assert.equal(p.context.graphIndex[p.context.edgeIndex[m + e]!], g);
  }

  // k = 1: r1 = 0 is the reference's empty ball, so ethane's context is d ≤ 3, center included,
  // and both atoms are anchors; decane's context is atoms 1–7 (d ≤ 3), anchors 3, 4, 5.
  const q = extractContextPairs(batch, centers, contextRadii(1, 3), 1);
  assert.deepEqual([...q.molecules], [0, 1, 2]);
  assert.equal(atomsOf(q.context, 0), 7);
  assert.equal(atomsOf(q.context, 2), 2);
  assert.deepEqual([...q.anchorGraph], [0, 0, 0, 1, 1, 2, 2]);
  assert.deepEqual([...q.anchors.subarray(0, 3)], [2, 3, 4]);
});

test('contextpred: negatives never pair a molecule with its own context', () => {
  // The reference's cycle: sample s pairs substructure i with context (i + s) mod n.
  assert.deepEqual([...negativeContexts(4, 2)], [1, 2, 3, 0, 2, 3, 0, 1]);
  assert.equal(negativeContexts(1, 1).length, 0, 'one usable molecule: no negative');
  for (let n = 2; n <= 6; n++)
    for (let s = 1; s <= 7; s++) {
      const neg = negativeContexts(n, s);
      assert.equal(neg.length, n * s);
      neg.forEach((c, j) => {
        assert.notEqual(c, j % n, `n ${n}, ${s} samples, pair ${j}`);
      });
    }
});

/** The objective built by hand on a tiny GIN, as the trainer builds it. */
function makeObjective(options: ObjectiveOptions = {}) {
  const factory = getObjective('contextpred');
  const input = inputSpecFor('hu', 0, 0);
  const encoderOptions = { dim: 16, layers: 2, dropout: 0 };
  const rng = new T.Rng(3);
  const encoder = createEncoder('gin', input, encoderOptions, rng.fork());
  const objective = factory.create({
    dim: encoder.outDim,
    options: { ...factory.defaults, ...options },
    input: FIXTURE_MOLS,
    encoderOptions: { ...DEFAULT_ENCODER_OPTIONS, ...encoderOptions },
    rng: rng.fork(),
    makeEncoder: (overrides, r) => createEncoder('gin', input, { ...encoderOptions, ...overrides }, r),
  });
  return { encoder, objective };
}

const SMILES = ['CCCCCCCCCC', 'c1ccccc1CC', 'CC(=O)Nc1ccc(O)cc1', 'CCOC(=O)c1ccccc1N', 'C', 'CCN(CC)CC'];

test('contextpred: same seed ⇒ same prepared batch; gradients reach both GNNs', () => {
  const { encoder, objective } = makeObjective();
  const graphs = batchOf(SMILES);
  const batch: PretrainBatch = { graphs, rows: Int32Array.from(SMILES.keys()), labels: {} };
  const a = objective.prepare(batch, new T.Rng(11)) as ContextPairs;
  const b = objective.prepare(batch, new T.Rng(11)) as ContextPairs;
  assert.deepEqual(a, b);
  assert.deepEqual(a.centers, drawCenters(graphs, new T.Rng(11)));
  const other = [12, 13, 14].map((s) => (objective.prepare(batch, new T.Rng(s)) as ContextPairs).centers);
  assert.ok(
    other.some((c) => !c.every((v, i) => v === a.centers[i])),
    'other seeds, other centers',
  );
  // Methane's only atom is its center: with k = 2 (the encoder's layers) it has no context.
  assert.ok(!a.molecules.includes(4));
  assert.ok(a.molecules.length >= 4);
  a.negatives.forEach((c, j) => {
    assert.notEqual(c, j % a.molecules.length, `prepared pair ${j}`);
  });

  // The context GNN is the head's: csize = 3 layers of the same width.
  const headKeys = Object.keys(objective.head.stateDict());
  assert.ok(headKeys.every((k) => k.startsWith('context.')));
  assert.ok(headKeys.includes('context.gnns.2.mlp.0.weight') && !headKeys.some((k) => k.includes('gnns.3.')));
  assert.deepEqual(objective.head.stateDict()['context.gnns.0.mlp.0.weight']!.shape, [32, 16]);
  const loss = objective.loss(encodeWith(encoder), a);
  assert.deepEqual(Object.keys(loss.values), objective.terms);
  const v = loss.values as Record<string, number>;
  assert.ok(Math.abs(v['total']! - (v['pos']! + v['neg']!)) < 1e-5, 'negSamples 1: total = pos + neg');
  assert.equal(v['acc'], (v['posAcc']! + v['negAcc']!) / 2);
  T.backward(loss.total);
  const touched = (ps: T.Tensor[]) => ps.some((p) => p.grad?.some((g) => g !== 0));
  assert.ok(touched(encoder.parameters()), 'the main encoder gets gradients');
  assert.ok(touched(objective.head.parameters()), 'the context GNN gets gradients');

  // Two negative samples weigh the negative term twice.
  const two = makeObjective({ negSamples: 2 });
  const p2 = two.objective.prepare(batch, new T.Rng(11)) as ContextPairs;
  assert.equal(p2.negatives.length, 2 * p2.molecules.length);
  const l2 = two.objective.loss(encodeWith(two.encoder), p2).values as Record<string, number>;
  assert.ok(Math.abs(l2['total']! - (l2['pos']! + 2 * l2['neg']!)) < 1e-5);

  // One usable molecule: positives only; none: a zero loss that still backpropagates.
  const single = objective.prepare(
    { graphs: batchOf(['CCCCC', 'C']), rows: Int32Array.of(0, 1), labels: {} },
    new T.Rng(1),
  ) as ContextPairs;
  assert.equal(single.molecules.length, 1);
  const ls = objective.loss(encodeWith(encoder), single).values as Record<string, number>;
  assert.equal(ls['neg'], 0);
  assert.equal(ls['total'], ls['pos']);
  const none = objective.prepare(
    { graphs: batchOf(['C', 'O']), rows: Int32Array.of(0, 1), labels: {} },
    new T.Rng(1),
  );
  const l0 = objective.loss(encodeWith(encoder), none);
  assert.equal(l0.values.total, 0);
  T.backward(l0.total);

  assert.throws(() => makeObjective({ csize: 0 }), /csize/);
  assert.throws(() => makeObjective({ contextPooling: 'attention' }), /pooling/);
  for (const pooling of ['sum', 'max']) {
    const o = makeObjective({ contextPooling: pooling });
    const l = o.objective.loss(encodeWith(o.encoder), o.objective.prepare(batch, new T.Rng(11)));
    assert.ok(Number.isFinite(l.values.total), pooling);
  }
});

test('contextpred on GIN lowers the loss; the encoder file holds the main encoder only', async () => {
  const events: PretrainEvent[] = [];
  const dir = join(tmp, 'run');
  const r = await corpus.run({
    dir,
    arch: 'gin',
    encoderOptions: { dim: 32, layers: 2, dropout: 0 },
    objective: 'contextpred',
    config: { epochs: 4, batchSize: 16, lr: 3e-3 },
    inline: true,
    onEvent: (e) => events.push(e),
  });
  assert.ok(r.completed);
  const epochs = events.filter((e) => e.type === 'epoch');
  console.log(
    `contextpred train loss ${epochs.map((e) => e.trainLoss.toFixed(3)).join(' → ')}, ` +
      `valid ${epochs.map((e) => e.validLoss.toFixed(3)).join(' → ')}`,
  );
  assert.equal(epochs.length, 4);
  assert.ok(epochs[3]!.trainLoss < epochs[0]!.trainLoss - 0.1, 'train loss goes down');
  const lines = readFileSync(join(dir, 'loss.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.ok(
    lines.every((l) =>
      ['total', 'pos', 'neg', 'acc', 'posAcc', 'negAcc'].every((k) => Number.isFinite(l[k])),
    ),
  );

  const enc = await loadEncoderFile(join(dir, 'pretrained.mgv'));
  assert.equal(enc.info['objective'], 'contextpred');
  assert.equal(enc.description.options.layers, 2);
  const keys = Object.keys(enc.state);
  const fresh = createEncoder('gin', enc.description.input, enc.description.options, new T.Rng(0));
  assert.deepEqual(keys.sort(), Object.keys(fresh.stateDict()).sort(), 'exactly the main encoder');
  assert.ok(!keys.some((k) => k.startsWith('head.') || k.includes('context')));
  // The checkpoint holds the context GNN too (3 layers).
  const ckpt = T.decodeTensors(new Uint8Array(readFileSync(join(dir, 'checkpoint.mgck'))));
  const names = Object.keys(ckpt.tensors);
  assert.ok(
    names.some((k) => k.includes('head.context.')),
    names.slice(0, 5).join(', '),
  );
});

test('CLI: pretrain --arch gin --objective contextpred', async () => {
  const out = join(tmp, 'cli');
  const args = corpus.cliArgs(
    'contextpred',
    out,
    { epochs: 1, limit: 30, layers: 2 },
    '--csize 2 --neg-samples 2',
  );
  const r = await runCli(args);
  assert.equal(r.code, 0, r.err);
  assert.ok(Number.isFinite(JSON.parse(r.out).finalTrainLoss));
  const bad = await runCli([...args.slice(0, -1), '--context-pooling', 'median']);
  assert.equal(bad.code, 2, bad.err);
  assert.equal((await runCli([...args.slice(0, -1), '--mask-edge'])).code, 2, '--mask-edge is attrmask’s');
});
