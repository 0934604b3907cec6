// Objectives one after the other (src/pretrain/sequence.ts, Hu et al.'s "X + supervised"): stage 2
// starts from stage 1's encoder, the sequence's file is the last stage's, a rerun reuses finished
// stages, and an encoder file of another architecture is refused as a starting point.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadRDKit } from '../src/chem/rdkit.js';
import { loadEncoderFile } from '../src/models/model-file-node.js';
import type { PretrainEvent } from '../src/pretrain/loop.js';
import { pretrainSequence, sequenceFeaturizer, stageDir } from '../src/pretrain/sequence.js';
import { prepareShards, type ShardIndex } from '../src/pretrain/shards.js';
import { DEFAULT_TRAINER_CONFIG, pretrainObjective, type TrainerConfig } from '../src/pretrain/trainer.js';
import { REPO_ROOT } from './helpers/shared-data.js';

const MOLS = join(REPO_ROOT, 'test/fixtures/grover-pretrain/mols.csv');
const tmp = mkdtempSync(join(tmpdir(), 'molgrove-pretrain-sequence-'));
const shardDir = join(tmp, 'shards');
let index: ShardIndex;

before(async () => {
  await loadRDKit();
  index = await prepareShards(MOLS, shardDir, { shardSize: 20 });
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const config = (o: Partial<TrainerConfig> = {}): TrainerConfig => ({
  ...DEFAULT_TRAINER_CONFIG,
  epochs: 2,
  batchSize: 16,
  lr: 3e-3,
  logEvery: 2,
  checkpointEvery: 0,
  ...o,
});
const ENCODER = { dim: 16, layers: 2, dropout: 0 };

/** Largest |a − b| over the trained weights (batch-norm running statistics move without a step). */
function weightDiff(
  a: Record<string, { data: Float32Array }>,
  b: Record<string, { data: Float32Array }>,
): number {
  let worst = 0;
  for (const [k, t] of Object.entries(a)) {
    if (/running|num_batches/.test(k)) continue;
    const u = b[k]!.data;
    t.data.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(v - u[i]!));
    });
  }
  return worst;
}

test('sequence: attrmask then motif; stage 2 starts from stage 1; a rerun reuses both stages', async () => {
  const dir = join(tmp, 'seq');
  // Stage 2 with a learning rate of 1e-12 leaves its starting weights as they are: they must be stage 1's.
  const stages = [
    { objective: 'attrmask', shardDir, index, config: config() },
    { objective: 'motif', shardDir, index, config: config({ lr: 1e-12 }) },
  ];
  const seen: number[] = [];
  const res = await pretrainSequence({
    dir,
    arch: 'gin',
    encoderOptions: ENCODER,
    stages,
    inline: true,
    onStage: (i) => seen.push(i),
  });
  assert.ok(res.completed);
  assert.deepEqual(seen, [0, 1]);
  assert.equal(res.stages.length, 2);
  const s1 = await loadEncoderFile(join(stageDir(dir, 0, 'attrmask'), 'pretrained.mgv'));
  const s2 = await loadEncoderFile(join(stageDir(dir, 1, 'motif'), 'pretrained.mgv'));
  assert.ok(weightDiff(s1.state, s2.state) < 1e-6, 'stage 2 started from stage 1');
  assert.deepEqual(
    readFileSync(join(dir, 'pretrained.mgv')),
    readFileSync(join(stageDir(dir, 1, 'motif'), 'pretrained.mgv')),
  );
  assert.equal(s2.info['stages'], 'attrmask,motif');
  // A fresh motif run (no stage 1) ends elsewhere: the starting point mattered.
  const fresh = join(tmp, 'fresh');
  await pretrainObjective({
    dir: fresh,
    shardDir,
    index,
    arch: 'gin',
    encoderOptions: ENCODER,
    objective: 'motif',
    featurizer: 'hu',
    config: config({ lr: 1e-12 }),
    inline: true,
  });
  const f = await loadEncoderFile(join(fresh, 'pretrained.mgv'));
  assert.ok(weightDiff(f.state, s2.state) > 1e-3);
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  assert.deepEqual(
    summary.stages.map((s: { objective: string }) => s.objective),
    ['attrmask', 'motif'],
  );

  // Rerun: both stages are reused as they are.
  const events: Array<[PretrainEvent, number]> = [];
  const again = await pretrainSequence({
    dir,
    arch: 'gin',
    encoderOptions: ENCODER,
    stages,
    inline: true,
    onEvent: (e, i) => events.push([e, i]),
  });
  assert.ok(again.completed);
  const done = events.filter(([e]) => e.type === 'done');
  assert.equal(done.length, 2);
  assert.ok(done.every(([e]) => e.type === 'done' && e.reused));
});

test('sequence: the starting encoder must be the run’s; featurizers must agree', async () => {
  const small = join(tmp, 'small');
  await pretrainObjective({
    dir: small,
    shardDir,
    index,
    arch: 'gin',
    encoderOptions: { ...ENCODER, dim: 8 },
    objective: 'attrmask',
    config: config({ epochs: 1 }),
    inline: true,
  });
  await assert.rejects(
    pretrainObjective({
      dir: join(tmp, 'wide'),
      shardDir,
      index,
      arch: 'gin',
      encoderOptions: ENCODER,
      objective: 'motif',
      featurizer: 'hu',
      config: config({ epochs: 1 }),
      inline: true,
      initEncoder: join(small, 'pretrained.mgv'),
    }),
    /is not the one this run trains/,
  );
  assert.equal(sequenceFeaturizer('gin', ['motif', 'attrmask']), 'hu');
  assert.throws(() => sequenceFeaturizer('gin', ['attrmask'], 'chemprop'), /needs the 'hu' featurizer/);
});
