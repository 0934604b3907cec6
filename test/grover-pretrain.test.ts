// GROVER pretraining: labels (counts, vocabulary indices, reproducibility), masking in fixed vs
// faithful mode, the loss against torch (scripts/fixtures/gen_grover_loss.py), heads' shapes, the
// loss going down on ~60 molecules with the tiny preset, kill + resume giving the same weights and
// loss curve, shards and split, and the CLI round trip.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { getFeaturizer } from '../src/chem/featurizers/index.js';
import { loadRDKit } from '../src/chem/rdkit.js';
import { batchGraphs } from '../src/data/batch.js';
import { featurizeSmiles } from '../src/data/molgraph.js';
import { ENCODER_FORMAT } from '../src/models/encoder-file.js';
import { GROVER_PRESETS } from '../src/models/grover/encoder.js';
import { buildVocabsFromFile } from '../src/pretrain/grover/build.js';
import { contextKeys } from '../src/pretrain/grover/context.js';
import { featurizeShard, ShardData } from '../src/pretrain/grover/data.js';
import { GroverHeads } from '../src/pretrain/grover/heads.js';
import { exampleOfSmiles, sampleLabels } from '../src/pretrain/grover/labels.js';
import { groverLoss } from '../src/pretrain/grover/loss.js';
import { groverAdapter } from '../src/pretrain/grover/model.js';
import {
  DEFAULT_PRETRAIN_CONFIG,
  type InputMasks,
  type PretrainConfig,
  type PretrainEvent,
  pretrainGrover,
} from '../src/pretrain/grover/pretrain.js';
import type { Vocab } from '../src/pretrain/grover/vocab.js';
import { isValidationRow, prepareShards, readShard, type ShardIndex } from '../src/pretrain/shards.js';
import * as T from '../src/tensor/index.js';
import { runCli } from './helpers/cli.js';
import { finetuneFrozen } from './helpers/frozen-finetune.js';
import { assertSameRun, lossRecords, stopAfterBatches } from './helpers/pretrain-corpus.js';
import { REPO_ROOT } from './helpers/shared-data.js';

const FIXTURES = join(REPO_ROOT, 'test/fixtures/grover-pretrain');
const MOLS = join(FIXTURES, 'mols.csv');
const tmp = mkdtempSync(join(tmpdir(), 'molgrove-grover-pretrain-'));
let vocab: { atom: Vocab; bond: Vocab };
let index: ShardIndex;
const shardDir = join(tmp, 'shards');

before(async () => {
  await loadRDKit();
  const built = await buildVocabsFromFile(MOLS, { workers: 1 });
  vocab = { atom: built.atom, bond: built.bond };
  index = await prepareShards(MOLS, shardDir, { shardSize: 20 });
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('labels: ceil(0.15 n) atoms and bonds get the vocabulary index of their own key, reproducibly', () => {
  const feat = getFeaturizer('grover');
  // Acetic acid: 4 atoms → 1 labelled atom, 3 bonds → 1; a 20-atom chain: ceil(3) = 3 atoms, ceil(2.85) = 3 bonds.
  const smiles = ['CC(=O)O', 'CCCCCCCCCCCCCCCCCCCC', 'c1ccccc1O'];
  const examples = smiles.map((s) => exampleOfSmiles(s, feat, vocab));
  const graphs = batchGraphs(examples.map((e) => e.graph));
  const cat = (xs: Int32Array[]) => Int32Array.from(xs.flatMap((x) => [...x]));
  const src = {
    numGraphs: graphs.numGraphs,
    atomOffsets: graphs.atomOffsets,
    edgeOffsets: graphs.edgeOffsets,
    atomVocab: cat(examples.map((e) => e.atomVocab)),
    bondVocab: cat(examples.map((e) => e.bondVocab)),
    motifs: Uint8Array.from(examples.flatMap((e) => [...e.motifs])),
  };
  const labels = sampleLabels(src, new T.Rng(3));
  const expectA = [1, 3, 2];
  const expectB = [1, 3, 2]; // 3, 19 and 7 bonds
  smiles.forEach((s, g) => {
    const keys = contextKeys(s);
    const a0 = graphs.atomOffsets[g]!;
    const na = graphs.atomOffsets[g + 1]! - a0;
    let labelled = 0;
    for (let i = 0; i < na; i++) {
      const l = labels.atom[a0 + i]!;
      assert.equal(labels.maskAtoms[a0 + i], l !== 0 ? 1 : 0);
      if (l !== 0) {
        labelled++;
        assert.equal(l, vocab.atom.indexOf(keys.atoms[i]!), `${s} atom ${i}`);
      }
    }
    assert.equal(labelled, expectA[g], `${s}: labelled atoms`);
    const b0 = graphs.edgeOffsets[g]! >> 1;
    const nb = (graphs.edgeOffsets[g + 1]! >> 1) - b0;
    labelled = 0;
    for (let k = 0; k < nb; k++) {
      const l = labels.bond[b0 + k]!;
      assert.equal(labels.maskBonds[2 * (b0 + k)], l !== 0 ? 1 : 0);
      assert.equal(labels.maskBonds[2 * (b0 + k) + 1], l !== 0 ? 1 : 0);
      if (l !== 0) {
        labelled++;
        assert.equal(l, vocab.bond.indexOf(keys.bonds[k]!), `${s} bond ${k}`);
      }
    }
    assert.equal(labelled, expectB[g], `${s}: labelled bonds`);
  });
  // Acetic acid's keys are in this corpus' vocabulary (not <other>); motif bits: fr_COO etc.
  assert.ok(labels.atom.subarray(0, 4).some((l) => l > 1));
  const again = sampleLabels(src, new T.Rng(3));
  assert.deepEqual(again.atom, labels.atom);
  assert.deepEqual(again.bond, labels.bond);
  const other = sampleLabels(src, new T.Rng(4));
  assert.notDeepEqual([...other.atom, ...other.bond], [...labels.atom, ...labels.bond]);
});

test('loss terms and gradients equal torch on fixed head outputs (gen_grover_loss.py)', () => {
  const fx = JSON.parse(readFileSync(join(FIXTURES, 'loss.json'), 'utf8'));
  const { atoms, bonds, graphs, atomVocab, bondVocab } = fx.shapes;
  const leaf = (name: string, shape: number[]) => T.tensor(Float32Array.from(fx.inputs[name]), shape, true);
  const av0 = leaf('av0', [atoms, atomVocab]);
  const av1 = leaf('av1', [atoms, atomVocab]);
  const bv0 = leaf('bv0', [bonds, bondVocab]);
  const bv1 = leaf('bv1', [bonds, bondVocab]);
  const fg = {
    atomFromAtom: leaf('fg.atomFromAtom', [graphs, 85]),
    atomFromBond: leaf('fg.atomFromBond', [graphs, 85]),
    bondFromAtom: leaf('fg.bondFromAtom', [graphs, 85]),
    bondFromBond: leaf('fg.bondFromBond', [graphs, 85]),
  };
  const loss = groverLoss(
    { av: [av0, av1], bv: [bv0, bv1], fg },
    {
      atom: Int32Array.from(fx.targets.atom),
      bond: Int32Array.from(fx.targets.bond),
      motifs: Float32Array.from(fx.targets.motifs),
    },
    fx.distCoeff,
  );
  for (const [k, v] of Object.entries(fx.terms as Record<string, number>)) {
    const got = loss.values[k as keyof typeof loss.values];
    assert.ok(Math.abs(got - v) < 1e-5 * Math.max(1, Math.abs(v)), `${k}: ${got} vs ${v}`);
  }
  T.backward(loss.total);
  const grads: [string, T.Tensor][] = [
    ['av0', av0],
    ['av1', av1],
    ['bv0', bv0],
    ['bv1', bv1],
    ...Object.entries(fg).map(([k, t]) => [`fg.${k}`, t] as [string, T.Tensor]),
  ];
  for (const [name, t] of grads) {
    const want = fx.grads[name] as number[];
    const got = T.gradOf(t);
    want.forEach((w, i) => {
      assert.ok(Math.abs(got[i]! - w) < 1e-6, `grad ${name}[${i}]: ${got[i]} vs ${w}`);
    });
  }
});

test('heads: one bond row per undirected bond (linear on edge 2k + linear_rev on 2k+1), motif logits per molecule', () => {
  const feat = getFeaturizer('grover');
  const g = batchGraphs(['CCO', 'C', 'c1ccccc1'].map((s) => featurizeSmiles(s, feat)));
  const h = 8;
  const heads = new GroverHeads({ hidden: h, atomVocab: 5, bondVocab: 6 }, new T.Rng(1));
  const rng = new T.Rng(2);
  const rnd = (n: number) =>
    T.tensor(
      Float32Array.from({ length: n * h }, () => rng.normal()),
      [n, h],
    );
  const e = {
    atomFromAtom: rnd(g.numAtoms),
    atomFromBond: rnd(g.numAtoms),
    bondFromAtom: rnd(g.numEdges),
    bondFromBond: rnd(g.numEdges),
  };
  const p = heads.forward(e, g);
  assert.deepEqual(p.av[0].shape, [g.numAtoms, 5]);
  assert.deepEqual(p.bv[1].shape, [g.numEdges / 2, 6]);
  assert.deepEqual(p.fg.bondFromBond.shape, [3, 85]);
  // Bond 1's logits = linear(edge 2) + linear_rev(edge 3), up to the log-softmax's shift.
  const W = heads.bvAtom.linear;
  const R = heads.bvAtom.linearRev;
  const logits = T.add(
    W.forward(T.slice(e.bondFromAtom, 0, 2, 3)),
    R.forward(T.slice(e.bondFromAtom, 0, 3, 4)),
  );
  const ref = T.logSoftmax(logits).data;
  for (let j = 0; j < 6; j++) assert.ok(Math.abs(p.bv[0].data[6 + j]! - ref[j]!) < 1e-5);
  // Methane has no bonds: its bond readout is zeros, so its motif logits are the bias.
  const bias = heads.fg.bb.bias!.data;
  for (let j = 0; j < 85; j++) assert.ok(Math.abs(p.fg.bondFromBond.data[85 + j]! - bias[j]!) < 1e-6);
  const names = heads.namedParameters().map(([n]) => n);
  assert.ok(names.includes('bv_task_atom.linear_rev.weight'));
  assert.ok(names.includes('fg_task_all.linear_bond_from_bond.bias'));
});

test('shards: 90/10 split by row hash, every row once, order-independent', async () => {
  assert.equal(index.rows, 60);
  const seen: number[] = [];
  for (const kind of ['train', 'valid'] as const) {
    for (const info of index[kind]) {
      const s = await readShard(shardDir, info);
      for (const r of s.rows) {
        assert.equal(isValidationRow(r, 0, 0.1), kind === 'valid');
        seen.push(r);
      }
    }
  }
  assert.deepEqual(
    seen.sort((a, b) => a - b),
    Array.from({ length: 60 }, (_, i) => i),
  );
  let valid = 0;
  for (let r = 0; r < 100_000; r++) if (isValidationRow(r, 0, 0.1)) valid++;
  assert.ok(Math.abs(valid / 100_000 - 0.1) < 0.005, `${valid}`);
  // Reused when nothing changed.
  const again = await prepareShards(MOLS, shardDir, { shardSize: 20 });
  assert.deepEqual(again, index);
  const limited = await prepareShards(MOLS, join(tmp, 'shards-limit'), { shardSize: 20, limit: 25 });
  assert.equal(limited.rows, 25);
});

function tinyRun(dir: string, config: Partial<PretrainConfig>, extra: Record<string, unknown> = {}) {
  const cfg: PretrainConfig = {
    ...DEFAULT_PRETRAIN_CONFIG,
    epochs: 3,
    batchSize: 8,
    warmupEpochs: 1,
    logEvery: 2,
    checkpointEvery: 3,
    ...config,
  };
  return pretrainGrover({
    dir,
    shardDir,
    index,
    vocab,
    config: cfg,
    makeAdapter: groverAdapter({ ...GROVER_PRESETS.tiny, dropout: 0.1 }),
    ...extra,
  });
}

test('masking: fixed mode zeroes the labelled atoms/bonds of the input, faithful masks nothing', async () => {
  const rows = await readShard(shardDir, index.train[0]!);
  const data = new ShardData(await featurizeShard(rows.rows, rows.smiles, vocab));
  const b = data.batch([0, 1, 2]);
  const labels = sampleLabels(b.labels, new T.Rng(0));
  const adapter = groverAdapter(GROVER_PRESETS.tiny)(new T.Rng(0));
  const masked = adapter.input(b.graphs, { maskAtoms: labels.maskAtoms, maskBonds: labels.maskBonds });
  const plain = adapter.input(b.graphs, {});
  const w = masked.fAtoms.shape[1]!;
  for (let i = 0; i < b.graphs.numAtoms; i++) {
    const row = masked.fAtoms.data.subarray(i * w, (i + 1) * w);
    const orig = plain.fAtoms.data.subarray(i * w, (i + 1) * w);
    if (labels.maskAtoms[i]) assert.ok(row.every((v) => v === 0));
    else assert.deepEqual(row, orig);
  }
  // The trainer passes masks only in fixed mode.
  for (const mode of ['fixed', 'faithful'] as const) {
    const seen: InputMasks[] = [];
    const base = groverAdapter(GROVER_PRESETS.tiny);
    await tinyRun(
      join(tmp, `mask-${mode}`),
      { epochs: 1, mode, checkpointEvery: 0 },
      {
        makeAdapter: (rng: T.Rng) => {
          const a = base(rng);
          return {
            ...a,
            input: (g: Parameters<typeof a.input>[0], m: InputMasks) => {
              seen.push(m);
              return a.input(g, m);
            },
          };
        },
      },
    );
    assert.ok(seen.length > 0);
    for (const m of seen) {
      if (mode === 'fixed') assert.ok(m.maskAtoms?.some((v) => v === 1) && m.maskBonds !== undefined);
      else assert.deepEqual(m, {});
    }
  }
});

test('pretraining the tiny preset lowers train and validation loss; kill + resume gives identical results', async () => {
  const full = join(tmp, 'full');
  const events: PretrainEvent[] = [];
  const res = await tinyRun(full, { epochs: 4 }, { onEvent: (e: PretrainEvent) => events.push(e) });
  assert.ok(res.completed);
  const epochs = events.filter((e) => e.type === 'epoch');
  assert.equal(epochs.length, 4);
  const first = epochs[0]!;
  const last = epochs[3]!;
  assert.ok(last.trainLoss < first.trainLoss - 1, `train ${first.trainLoss} → ${last.trainLoss}`);
  assert.ok(last.validLoss < first.validLoss, `valid ${first.validLoss} → ${last.validLoss}`);
  const lines = lossRecords(full);
  assert.equal(lines.filter((l) => l.kind === 'valid').length, 4);
  assert.ok(lines.every((l) => Number.isFinite(l.total) && Number.isFinite(l.avDist)));

  // Stop mid-epoch twice (after the 5th and the 16th batch of this process), then finish.
  const part = join(tmp, 'part');
  for (const stopAfter of [5, 16]) {
    const r = await tinyRun(part, { epochs: 4 }, stopAfterBatches(stopAfter));
    assert.equal(r.completed, false);
  }
  const resumedEvents: PretrainEvent[] = [];
  const r = await tinyRun(part, { epochs: 4 }, { onEvent: (e: PretrainEvent) => resumedEvents.push(e) });
  assert.ok(r.completed);
  const start = resumedEvents.find((e) => e.type === 'start');
  assert.ok(start?.type === 'start' && start.resumed !== null);
  assertSameRun(part, full);
  const decoded = T.decodeTensors(new Uint8Array(readFileSync(join(full, 'pretrained.mgv'))));
  assert.equal(decoded.metadata['format'], ENCODER_FORMAT);
  assert.ok(Object.keys(decoded.tensors).some((k) => k.startsWith('node_blocks.0.')));

  // A finished run is reused; a different config in the same folder is refused.
  const again = await tinyRun(full, { epochs: 4 });
  assert.ok(again.completed);
  await assert.rejects(tinyRun(full, { epochs: 5 }), /different configuration/);
});

test('CLI: molgrove pretrain round trip, rerun resumes/reuses', async () => {
  const vocabDir = join(tmp, 'cli-vocab');
  const out = join(tmp, 'cli-run');
  const v = await runCli(['build-vocab', '--input', MOLS, '--out', vocabDir, '--workers', '1']);
  assert.equal(v.code, 0, v.err);
  const args = [
    'pretrain',
    '--model',
    'grover',
    '--preset',
    'tiny',
    '--input',
    MOLS,
    '--vocab',
    vocabDir,
    '--out',
    out,
    '--epochs',
    '2',
    '--batch-size',
    '16',
    '--limit',
    '40',
    '--shard-size',
    '15',
    '--hidden',
    '12',
    '--heads',
    '3',
    '--json',
  ];
  const run = await runCli(args);
  assert.equal(run.code, 0, run.err);
  assert.match(run.err, /parameters/);
  const summary = JSON.parse(run.out);
  assert.equal(summary.epochs, 2);
  assert.ok(Number.isFinite(summary.finalValidLoss));
  assert.ok(existsSync(join(out, 'pretrained.mgv')));
  const meta = T.decodeTensors(new Uint8Array(readFileSync(join(out, 'pretrained.mgv')))).metadata;
  assert.equal((meta['encoder'] as { options: { grover: { hidden: number } } }).options.grover.hidden, 12);
  const rerun = await runCli(args);
  assert.equal(rerun.code, 0, rerun.err);
  assert.equal(JSON.parse(rerun.out).finalTrainLoss, summary.finalTrainLoss);
  const bad = await runCli([...args.slice(0, -1), '--mode', 'sideways']);
  assert.equal(bad.code, 2);

  // Fine-tuning starts from the pretrained encoder: GROVER's architecture, its weights (kept
  // frozen here, so model.mgv's encoder equals the pretrained file's).
  const { arch, pre, tuned } = await finetuneFrozen(join(out, 'pretrained.mgv'), tmp);
  assert.equal(arch, 'grover');
  for (const [k, t] of Object.entries(pre.state)) assert.deepEqual(tuned.state[k]!.data, t.data, k);
});
