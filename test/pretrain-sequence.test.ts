// Objectives one after the other (src/pretrain/sequence.ts, Hu et al.'s "X + supervised"): stage 2
// starts from stage 1's encoder, the sequence's file is the last stage's, a rerun reuses finished
// stages, and an encoder file of another architecture is refused as a starting point.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadEncoderFile } from '../src/models/model-file-node.js';
import type { PretrainEvent } from '../src/pretrain/loop.js';
import { pretrainSequence, sequenceFeaturizer, stageDir } from '../src/pretrain/sequence.js';
import { prepareShards, readShard } from '../src/pretrain/shards.js';
import type { TrainerConfig } from '../src/pretrain/trainer.js';
import { runCli } from './helpers/cli.js';
import { FIXTURE_MOLS, smallConfig, useFixtureCorpus } from './helpers/pretrain-corpus.js';

const corpus = useFixtureCorpus('molgrove-pretrain-sequence-');
const { tmp, shardDir } = corpus;

const config = (o: Partial<TrainerConfig> = {}): TrainerConfig =>
  smallConfig({ epochs: 2, batchSize: 16, lr: 3e-3, ...o });
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
    { objective: 'attrmask', shardDir, index: corpus.index, config: config() },
    { objective: 'motif', shardDir, index: corpus.index, config: config({ lr: 1e-12 }) },
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
  await corpus.run({
    dir: fresh,
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

test('sequence: the starting encoder must be the run’s; one featurizer for every stage', async () => {
  const small = join(tmp, 'small');
  await corpus.run({
    dir: small,
    arch: 'gin',
    encoderOptions: { ...ENCODER, dim: 8 },
    objective: 'attrmask',
    config: config({ epochs: 1 }),
    inline: true,
  });
  await assert.rejects(
    corpus.run({
      dir: join(tmp, 'wide'),
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
  assert.equal(sequenceFeaturizer('grover', ['attrmask', 'motif']), 'grover');
  assert.equal(sequenceFeaturizer('gin', ['attrmask', 'supervised'], 'chemprop'), 'chemprop');
});

test('CLI: --objective attrmask,supervised runs two stages, the second on --supervised-input', async () => {
  // A labelled copy of the fixture corpus: one task, "has a nitrogen" (from the SMILES text).
  const smiles = readFileSync(FIXTURE_MOLS, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',')[0]!);
  const labelled = join(tmp, 'labelled.csv');
  writeFileSync(labelled, `smiles,hasN\n${smiles.map((s) => `${s},${/N/.test(s) ? 1 : 0}`).join('\n')}\n`);
  const out = join(tmp, 'cli-seq');
  const args = ['pretrain', '--arch', 'gin', '--objective', 'attrmask,supervised', '--input', FIXTURE_MOLS];
  const rest = ['--out', out, '--hidden', '16', '--layers', '1', '--batch-size', '16', '--json'];
  const r = await runCli([
    ...args,
    '--supervised-input',
    labelled,
    '--epochs',
    '1,2',
    '--mask-rate',
    '0.2',
    ...rest,
  ]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /stage 1\/2, attrmask/);
  assert.match(r.err, /stage 2\/2, supervised/);
  const s1 = await loadEncoderFile(join(stageDir(out, 0, 'attrmask'), 'pretrained.mgv'));
  const s2 = await loadEncoderFile(join(out, 'pretrained.mgv'));
  assert.deepEqual(s1.info['objectiveOptions'], { maskRate: 0.2, maskEdge: false });
  assert.equal(s2.info['objective'], 'supervised');
  assert.equal(s2.info['epochs'], 2);
  // hu2020: the supervised stage takes pretrain_supervised.py's dropout 0.2 (stage 1 keeps 0); the
  // --batch-size flag wins over its batch of 32.
  assert.deepEqual(
    [s1.description.options.dropout, s2.description.options.dropout, s2.info['batchSize']],
    [0, 0.2, 16],
  );
  assert.ok(existsSync(join(out, 'shards-supervised', 'index.json')));
  // Per-stage values must match the stages; a flag no stage reads is refused.
  const bad = await runCli([...args, '--supervised-input', labelled, '--epochs', '1,2,3', ...rest]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /3 values for 2 objectives/);
  const foreign = await runCli([...args, '--supervised-input', labelled, '--temperature', '0.2', ...rest]);
  assert.equal(foreign.code, 2);
  assert.match(foreign.err, /--temperature is an option of graphcl/);
});

test('shards: --limit below 1 keeps a seeded share of the rows, nested across shares', async () => {
  const rowsOf = async (fraction: number) => {
    const idx = await prepareShards(FIXTURE_MOLS, join(tmp, `frac-${fraction}`), { shardSize: 20, fraction });
    const rows: number[] = [];
    for (const info of [...idx.train, ...idx.valid])
      rows.push(...(await readShard(join(tmp, `frac-${fraction}`), info)).rows);
    return { idx, rows: new Set(rows) };
  };
  const half = await rowsOf(0.5);
  const most = await rowsOf(0.8);
  assert.equal(half.idx.fraction, 0.5);
  assert.ok(
    half.rows.size > 0.3 * corpus.index.rows && half.rows.size < 0.7 * corpus.index.rows,
    `${half.rows.size} of ${corpus.index.rows}`,
  );
  assert.ok(
    [...half.rows].every((r) => most.rows.has(r)),
    'the 50% subset lies inside the 80% one',
  );
  assert.ok(most.rows.size > half.rows.size);
  await assert.rejects(
    prepareShards(FIXTURE_MOLS, join(tmp, 'frac-bad'), { fraction: 1.5 }),
    /share of the corpus/,
  );
  const cli = await runCli([
    'pretrain',
    '--arch',
    'gin',
    '--objective',
    'motif',
    '--input',
    FIXTURE_MOLS,
    '--out',
    join(tmp, 'cli-frac'),
    '--limit',
    '0.5',
    '--hidden',
    '8',
    '--layers',
    '1',
    '--epochs',
    '1',
    '--json',
  ]);
  assert.equal(cli.code, 0, cli.err);
  assert.equal(
    JSON.parse(readFileSync(join(tmp, 'cli-frac', 'shards', 'index.json'), 'utf8')).rows,
    half.idx.rows,
  );
});
