// Pretraining objectives on any encoder (src/pretrain/trainer.ts): attribute masking as Hu et al.
// (counts, mask tokens, targets, reproducibility), motif labels, the loss going down on the fixture
// molecules, kill + resume giving identical results, and the CLI round trip into finetune --from.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { getFeaturizer } from '../src/chem/featurizers/index.js';
import { motifLabels } from '../src/chem/fragments.js';
import { withMol } from '../src/chem/rdkit.js';
import { batchGraphs } from '../src/data/batch.js';
import { featurizeSmiles } from '../src/data/molgraph.js';
import { ENCODER_FORMAT } from '../src/models/encoder-file.js';
import { loadEncoderFile } from '../src/models/model-file-node.js';
import { featurizeGraphShard, GraphShardData } from '../src/pretrain/graph-shard.js';
import type { PretrainEvent } from '../src/pretrain/loop.js';
import {
  MASK_ATOM_TYPE,
  MASK_BOND_TYPE,
  maskBatch,
  maskedAtomCount,
} from '../src/pretrain/objectives/attrmask.js';
import { getObjective } from '../src/pretrain/objectives/index.js';
import { readShard } from '../src/pretrain/shards.js';
import type { TrainerConfig } from '../src/pretrain/trainer.js';
import * as T from '../src/tensor/index.js';
import { runCli } from './helpers/cli.js';
import { finetuneFrozen } from './helpers/frozen-finetune.js';
import {
  assertSameRun,
  lossRecords,
  type SmallRun,
  stopAfterBatches,
  useFixtureCorpus,
} from './helpers/pretrain-corpus.js';

const corpus = useFixtureCorpus('molgrove-pretrain-objectives-');
const { tmp, shardDir } = corpus;

test('attrmask: int(n·0.15 + 1) atoms per molecule get the mask token; targets are their atom types', () => {
  assert.equal(getObjective('attr-mask').name, 'attrmask');
  const hu = getFeaturizer('hu');
  // Acetic acid: 4 atoms → int(1.6) = 1; phenol: 7 → int(2.05) = 2; a 20-carbon chain: int(4) = 4;
  // methylamine: 2 → 1. Atom types are Z − 1: C 5, N 6, O 7.
  const smiles = ['CC(=O)O', 'c1ccccc1O', 'CCCCCCCCCCCCCCCCCCCC', 'CN'];
  const types = [[5, 5, 7, 7], [5, 5, 5, 5, 5, 5, 7], Array(20).fill(5), [5, 6]];
  const expect = [1, 2, 4, 1];
  smiles.forEach((_, g) => {
    assert.equal(maskedAtomCount(types[g]!.length, 0.15), expect[g]);
  });
  const batch = batchGraphs(smiles.map((s) => featurizeSmiles(s, hu)));
  const before = Int32Array.from(batch.atomCodes);
  const beforeBonds = Int32Array.from(batch.bondCodes);
  const { input, targets } = maskBatch(batch, new T.Rng(5), { rate: 0.15, maskEdge: false });
  assert.deepEqual(batch.atomCodes, before, 'the batch itself is not modified');
  assert.deepEqual(input.bondCodes, beforeBonds, 'no edge masking by default');
  assert.equal(targets.atoms.length, 1 + 2 + 4 + 1);
  const masked = new Set(targets.atoms);
  smiles.forEach((_, g) => {
    const a0 = batch.atomOffsets[g]!;
    const n = batch.atomOffsets[g + 1]! - a0;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const a = a0 + i;
      assert.equal(before[2 * a], types[g]![i], `${smiles[g]} atom ${i} type`);
      if (masked.has(a)) {
        count++;
        assert.deepEqual([input.atomCodes[2 * a], input.atomCodes[2 * a + 1]], [MASK_ATOM_TYPE, 0]);
        assert.equal(targets.atomTypes[targets.atoms.indexOf(a)], types[g]![i]);
      } else {
        assert.deepEqual(
          [input.atomCodes[2 * a], input.atomCodes[2 * a + 1]],
          [before[2 * a], before[2 * a + 1]],
        );
      }
    }
    assert.equal(count, expect[g], `${smiles[g]}: masked atoms`);
  });
  assert.equal(MASK_ATOM_TYPE, 119);

  // Reproducible by seed; another seed masks other atoms.
  const again = maskBatch(batch, new T.Rng(5), { rate: 0.15, maskEdge: false });
  assert.deepEqual(again.targets.atoms, targets.atoms);
  assert.deepEqual(again.input.atomCodes, input.atomCodes);
  const other = maskBatch(batch, new T.Rng(6), { rate: 0.15, maskEdge: false });
  assert.notDeepEqual(other.targets.atoms, targets.atoms);

  // Edge masking: both copies of every bond touching a masked atom get [5, 0]; targets = bond types.
  const e = maskBatch(batch, new T.Rng(5), { rate: 0.15, maskEdge: true });
  assert.deepEqual(e.targets.atoms, targets.atoms, 'the same atoms as without edge masking');
  const m = batch.numEdges;
  let bonds = 0;
  for (let k = 0; 2 * k < m; k++) {
    const u = batch.edgeIndex[2 * k]!;
    const v = batch.edgeIndex[m + 2 * k]!;
    const touched = masked.has(u) || masked.has(v);
    for (const d of [2 * k, 2 * k + 1]) {
      const code = [e.input.bondCodes[2 * d], e.input.bondCodes[2 * d + 1]];
      assert.deepEqual(code, touched ? [MASK_BOND_TYPE, 0] : [beforeBonds[2 * d], beforeBonds[2 * d + 1]]);
    }
    if (touched) {
      assert.equal(e.targets.bondSrc[bonds], u);
      assert.equal(e.targets.bondDst[bonds], v);
      assert.equal(e.targets.bondTypes[bonds], beforeBonds[4 * k]);
      bonds++;
    }
  }
  assert.equal(e.targets.bondTypes.length, bonds);
  assert.ok(bonds > 0);

  // Float features (chemprop's, GROVER's): the masked atoms' and bonds' rows are zeroed as well.
  const cp = batchGraphs(smiles.map((s) => featurizeSmiles(s, getFeaturizer('chemprop'))));
  const f = maskBatch(cp, new T.Rng(5), { rate: 0.15, maskEdge: true });
  assert.deepEqual(f.targets.atoms, targets.atoms, 'the same draw whatever the features');
  const d = cp.atomDim;
  for (let a = 0; a < cp.numAtoms; a++) {
    const row = f.input.atomFeatures.subarray(a * d, (a + 1) * d);
    if (masked.has(a)) assert.ok(row.every((v) => v === 0));
    else assert.deepEqual(row, cp.atomFeatures.subarray(a * d, (a + 1) * d));
  }
  const bd = cp.bondDim;
  for (let k = 0; 2 * k < m; k++) {
    const touched = masked.has(cp.edgeIndex[2 * k]!) || masked.has(cp.edgeIndex[m + 2 * k]!);
    const row = f.input.bondFeatures.subarray(2 * k * bd, (2 * k + 1) * bd);
    assert.equal(
      row.every((v) => v === 0),
      touched,
    );
  }
});

test('motif labels are computed at featurization time and equal motifLabels of the molecule', async () => {
  const rows = await readShard(shardDir, corpus.index.train[0]!);
  const packed = await featurizeGraphShard(rows.rows, rows.smiles, 'hu', ['motifs']);
  const data = new GraphShardData(packed);
  const mols = [0, 3, 7];
  const b = data.batch(mols);
  mols.forEach((m, i) => {
    const want = withMol(rows.smiles[m]!, motifLabels);
    assert.deepEqual(b.labels.motifs!.subarray(i * 85, (i + 1) * 85), want);
  });
  assert.ok(b.labels.motifs!.some((v) => v === 1));
});

function run(dir: string, config: Partial<TrainerConfig>, extra: Partial<SmallRun> = {}) {
  return corpus.run({
    dir,
    arch: 'gin',
    encoderOptions: { dim: 32, layers: 2, dropout: 0.1 },
    objective: 'attrmask',
    config: { epochs: 4, batchSize: 8, lr: 3e-3, checkpointEvery: 3, ...config },
    ...extra,
  });
}

test('attrmask on GIN lowers the loss; kill + resume gives identical loss.jsonl and pretrained.mgv', async () => {
  const full = join(tmp, 'full');
  const events: PretrainEvent[] = [];
  const res = await run(full, {}, { onEvent: (e: PretrainEvent) => events.push(e) });
  assert.ok(res.completed);
  const epochs = events.filter((e) => e.type === 'epoch');
  assert.equal(epochs.length, 4);
  const first = epochs[0]!;
  const last = epochs[3]!;
  console.log(
    `attrmask train loss ${epochs.map((e) => e.trainLoss.toFixed(3)).join(' → ')}, ` +
      `valid ${epochs.map((e) => e.validLoss.toFixed(3)).join(' → ')}`,
  );
  assert.ok(last.trainLoss < first.trainLoss - 0.5, `train ${first.trainLoss} → ${last.trainLoss}`);
  assert.ok(last.validLoss < first.validLoss, `valid ${first.validLoss} → ${last.validLoss}`);
  const lines = lossRecords(full);
  assert.equal(lines.filter((l) => l.kind === 'valid').length, 4);
  assert.ok(lines.every((l) => Number.isFinite(l.total) && Number.isFinite(l.atomAcc)));

  // Stop mid-epoch twice, then finish (on this thread this time: featurization does not matter).
  const part = join(tmp, 'part');
  for (const stopAfter of [4, 11]) {
    const r = await run(part, {}, stopAfterBatches(stopAfter));
    assert.equal(r.completed, false);
  }
  const resumed: PretrainEvent[] = [];
  const r = await run(part, {}, { inline: true, onEvent: (e: PretrainEvent) => resumed.push(e) });
  assert.ok(r.completed);
  const start = resumed.find((e) => e.type === 'start');
  assert.ok(start?.type === 'start' && start.resumed !== null);
  assertSameRun(part, full);
  // An encoder file after every epoch (GROVER's model.ep{n}), also across the interruptions; the last
  // one is the final model.
  for (const n of [1, 2, 3, 4]) {
    assert.deepEqual(
      readFileSync(join(part, `pretrained-epoch${n}.mgv`)),
      readFileSync(join(full, `pretrained-epoch${n}.mgv`)),
    );
  }
  assert.deepEqual(
    readFileSync(join(full, 'pretrained-epoch4.mgv')),
    readFileSync(join(full, 'pretrained.mgv')),
  );
  assert.notDeepEqual(
    readFileSync(join(full, 'pretrained-epoch1.mgv')),
    readFileSync(join(full, 'pretrained.mgv')),
  );
  const enc = await loadEncoderFile(join(full, 'pretrained.mgv'));
  assert.equal(enc.description.arch, 'gin');
  assert.equal(enc.description.featurizer, 'hu');
  assert.equal(enc.info['objective'], 'attrmask');
  assert.ok(!Object.keys(enc.state).some((k) => k.startsWith('head.') || k.includes('linear_pred')));
  await assert.rejects(run(full, { epochs: 5 }), /different configuration/);
});

test('motif objective trains any encoder (GCN on chemprop features)', async () => {
  const events: PretrainEvent[] = [];
  const r = await corpus.run({
    dir: join(tmp, 'motif'),
    arch: 'gcn',
    encoderOptions: { dim: 16, layers: 2, dropout: 0 },
    objective: 'motif',
    featurizer: 'chemprop',
    config: { epochs: 3, batchSize: 16, lr: 1e-2 },
    onEvent: (e) => events.push(e),
  });
  assert.ok(r.completed);
  const epochs = events.filter((e) => e.type === 'epoch');
  console.log(`motif train loss ${epochs.map((e) => e.trainLoss.toFixed(3)).join(' → ')}`);
  assert.ok(epochs[2]!.trainLoss < epochs[0]!.trainLoss);
  const enc = await loadEncoderFile(r.summary!.model);
  assert.equal(enc.description.featurizer, 'chemprop');
  assert.equal(enc.description.input.kind, 'features');
});

test('CLI: pretrain --arch gin --objective attrmask, then finetune --from with a frozen encoder', async () => {
  const out = join(tmp, 'cli-run');
  const args = corpus.cliArgs(
    'attrmask',
    out,
    { epochs: 2, limit: 40, layers: 2 },
    '--protocol hu2020 --mask-edge',
  );
  const r = await runCli(args);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /parameters/);
  const summary = JSON.parse(r.out);
  assert.equal(summary.epochs, 2);
  assert.ok(Number.isFinite(summary.finalTrainLoss));
  const meta = T.decodeTensors(new Uint8Array(readFileSync(join(out, 'pretrained.mgv')))).metadata;
  assert.equal(meta['format'], ENCODER_FORMAT);
  const desc = meta['encoder'] as { arch: string; options: { dim: number; layers: number; dropout: number } };
  assert.deepEqual(
    [desc.arch, desc.options.dim, desc.options.layers, desc.options.dropout],
    ['gin', 16, 2, 0],
  );
  const record = JSON.parse(readFileSync(join(out, 'loss.jsonl'), 'utf8').split('\n')[0]!);
  assert.ok('bond' in record && 'atomAcc' in record);
  const rerun = await runCli(args);
  assert.equal(rerun.code, 0, rerun.err);
  assert.equal(JSON.parse(rerun.out).finalTrainLoss, summary.finalTrainLoss);
  assert.equal((await runCli([...args.slice(0, -1), '--objective', 'nope'])).code, 2);
  assert.equal((await runCli([...args.slice(0, -1), '--features', 'nope'])).code, 2);

  const { arch, pre, tuned } = await finetuneFrozen(join(out, 'pretrained.mgv'), tmp);
  assert.equal(arch, 'gin');
  // Everything stays the pretrained file's, batch norm's running statistics included: a frozen
  // encoder runs in eval mode while the head trains (torch's requires_grad = False alone would
  // still move those statistics).
  for (const [k, t] of Object.entries(pre.state)) assert.deepEqual(tuned.state[k]!.data, t.data, k);
  assert.ok(Object.keys(pre.state).some((k) => k.endsWith('running_mean')));
});
