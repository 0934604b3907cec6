/**
 * GROVER's self-supervised pretraining loop (tencent-ailab/grover `task/grovertrainer.py`,
 * `task/pretrain.py`; read, not copied): encoder + GroverTask heads, labels drawn per batch
 * (labels.ts), GROVER's loss (loss.ts), Adam under the Noam schedule, validation loss every epoch.
 *
 * Data streams from shard files (src/pretrain/shards.ts): one train shard is featurized at a time,
 * shards and molecules in a seeded order per epoch, batches within a shard. Validation shards are
 * featurized at each epoch's end, one at a time, with labels from a generator reset every epoch (the
 * same labels each epoch, so validation losses compare). Featurized shards are kept in the
 * featurized-shard cache (../shard-cache.ts), so that only the first epoch featurizes.
 *
 * The stream, checkpoints (weights of encoder and heads, Adam, scheduler step, label and dropout
 * generators, stream position), byte-identical resume, loss.jsonl and summary.json are the shared
 * pretraining loop's (../loop.ts); this file brings GROVER's model, labels and loss.
 *
 * Files in `dir`: checkpoint.mgck, loss.jsonl (one JSON record per line: `{"kind":"train", …}` every
 * `logEvery` batches with the mean of each loss term over them, `{"kind":"valid", …}` per epoch),
 * pretrained.mgv (written at the end; see model-out.ts) and summary.json (written last: the run is
 * complete).
 */

import type { GraphBatch } from '../../data/batch.js';
import { ConfigError } from '../../errors.js';
import { type EncoderDescription, encodeEncoder } from '../../models/encoder-file.js';
import { Module } from '../../models/module.js';
import * as T from '../../tensor/index.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { checkLoopConfig, type PretrainEvent, type PretrainResult, runPretrainLoop } from '../loop.js';
import { groverShardCache } from '../shard-cache.js';
import { shardSource } from '../shard-featurizer.js';
import { mixSeed, type ShardIndex, type ShardRows, shardFingerprint, stepsPerEpoch } from '../shards.js';
import { type PackedShard, ShardData } from './data.js';
import { type GroverEmbeddings, GroverHeads } from './heads.js';
import { type MaskMode, sampleLabels } from './labels.js';
import { DEFAULT_DIST_COEFF, groverLoss, LOSS_TERMS } from './loss.js';
import { ShardFeaturizer } from './shard-featurizer.js';
import type { Vocab } from './vocab.js';

export { PRETRAINED_FILE, type PretrainEvent, type PretrainResult, type PretrainSummary } from '../loop.js';

/** GROVER's `pretrain` defaults (grover/util/parsing.py). */
export interface PretrainConfig {
  readonly epochs: number;
  readonly batchSize: number;
  readonly warmupEpochs: number;
  readonly initLr: number;
  readonly maxLr: number;
  readonly finalLr: number;
  readonly weightDecay: number;
  readonly distCoeff: number;
  readonly mode: MaskMode;
  readonly seed: number;
  /** Batches per train record of loss.jsonl. */
  readonly logEvery: number;
  /** Batches between mid-epoch checkpoints (0: only at epoch ends). */
  readonly checkpointEvery: number;
}

export const DEFAULT_PRETRAIN_CONFIG: PretrainConfig = {
  epochs: 30,
  batchSize: 32,
  warmupEpochs: 2,
  initLr: 1e-4,
  maxLr: 1e-3,
  finalLr: 1e-4,
  weightDecay: 0,
  distCoeff: DEFAULT_DIST_COEFF,
  mode: 'fixed',
  seed: 0,
  logEvery: 20,
  checkpointEvery: 500,
};

/** The masks groverGraph applies to a batch (fixed mode). */
export interface InputMasks {
  readonly maskAtoms?: Uint8Array;
  readonly maskBonds?: Uint8Array;
}

/** The encoder and how a batch becomes its input (GroverEncoder + groverGraph, or a stand-in). */
export interface EncoderAdapter<G> {
  readonly encoder: Module & { readonly hidden: number; forward(g: G): GroverEmbeddings };
  /** Builds the encoder input; masked atoms/bonds get their input features zeroed. */
  input(batch: GraphBatch, masks: InputMasks): G;
  /** What rebuilds the encoder (architecture, options, featurizer, input), stored in the encoder file. */
  readonly description: EncoderDescription;
}

/** GroverTask: the encoder as `grover.*`, the heads under GROVER's names. */
export class GroverTaskModel<G> extends Module {
  readonly heads: GroverHeads;
  constructor(
    readonly adapter: EncoderAdapter<G>,
    vocabSizes: { atom: number; bond: number },
    rng: T.Rng,
  ) {
    super();
    this.child('grover', adapter.encoder);
    this.heads = this.inline(
      new GroverHeads(
        { hidden: adapter.encoder.hidden, atomVocab: vocabSizes.atom, bondVocab: vocabSizes.bond },
        rng,
      ),
    );
  }
}

export interface PretrainRun<G> {
  readonly dir: string;
  readonly shardDir: string;
  readonly index: ShardIndex;
  readonly vocab: { readonly atom: Vocab; readonly bond: Vocab };
  readonly config: PretrainConfig;
  /** Builds the encoder (called once; its generators must come from the given rng). */
  readonly makeAdapter: (rng: T.Rng) => EncoderAdapter<G>;
  readonly onEvent?: (e: PretrainEvent) => void;
  /** Finish the batch in progress, checkpoint, stop (resumable). */
  readonly signal?: AbortSignal;
  /** Featurizes a shard (default: on this thread). */
  readonly featurize?: (rows: ShardRows, vocab: { atom: Vocab; bond: Vocab }) => Promise<PackedShard>;
  /** Provenance stored in the model file. */
  readonly info?: Record<string, T.MetadataValue>;
  /**
   * Keep featurized shards in `<shardDir>/featurized/` so that only the first epoch featurizes
   * (../shard-cache.ts); default false: GROVER's features take ~18 KB per molecule on disk, and its
   * training (tens of molecules/s here) is far slower than featurization, so the cache saves little.
   * A `featurize` given must give featurizeShardSync's results.
   */
  readonly cache?: boolean;
}

const CHECKPOINT_FORMAT = 'molgrove-grover-pretrain';

export function checkPretrainConfig(c: PretrainConfig): void {
  checkLoopConfig(c);
  for (const [n, v] of [
    ['initLr', c.initLr],
    ['maxLr', c.maxLr],
    ['finalLr', c.finalLr],
  ] as const) {
    if (!(v > 0)) throw new ConfigError(`${n} must be > 0, got ${v}`);
  }
  if (!(c.warmupEpochs >= 0)) throw new ConfigError(`warmup epochs must be ≥ 0, got ${c.warmupEpochs}`);
  if (!(c.distCoeff >= 0)) throw new ConfigError(`dist coefficient must be ≥ 0, got ${c.distCoeff}`);
  if (!(c.weightDecay >= 0)) throw new ConfigError(`weight decay must be ≥ 0, got ${c.weightDecay}`);
}

/** Runs (or resumes) GROVER pretraining; returns `completed: false` when stopped by the signal. */
export async function pretrainGrover<G>(run: PretrainRun<G>): Promise<PretrainResult> {
  const { config, index } = run;
  checkPretrainConfig(config);
  const rng = new T.Rng(config.seed);
  const adapter = run.makeAdapter(rng.fork());
  const model = new GroverTaskModel(
    adapter,
    { atom: run.vocab.atom.size, bond: run.vocab.bond.size },
    rng.fork(),
  );
  const fingerprint = JSON.stringify({
    config: { ...config, logEvery: config.logEvery, checkpointEvery: null },
    encoder: adapter.description as unknown as T.MetadataValue,
    vocab: { atom: run.vocab.atom.tokens, bond: run.vocab.bond.tokens },
    data: shardFingerprint(index),
  });
  const opt = new T.Adam(model.parameters(), { lr: config.initLr, weightDecay: config.weightDecay });
  const scheduler = new T.LRScheduler(
    opt,
    T.noamSchedule({
      warmupEpochs: config.warmupEpochs,
      totalEpochs: config.epochs,
      stepsPerEpoch: stepsPerEpoch(index, config.batchSize),
      initLr: config.initLr,
      maxLr: config.maxLr,
      finalLr: config.finalLr,
    }),
  );

  const lossOf = (data: ShardData, mols: number[], rng: T.Rng) => {
    const b = data.batch(mols);
    const labels = sampleLabels(b.labels, rng);
    const masks: InputMasks =
      config.mode === 'fixed' ? { maskAtoms: labels.maskAtoms, maskBonds: labels.maskBonds } : {};
    const emb = adapter.encoder.forward(adapter.input(b.graphs, masks));
    const pred = model.heads.forward(emb, b.graphs);
    return groverLoss(
      pred,
      { atom: labels.atom, bond: labels.bond, motifs: labels.motifs },
      config.distCoeff,
    );
  };

  return runPretrainLoop<ShardData>({
    dir: run.dir,
    index,
    config,
    format: CHECKPOINT_FORMAT,
    fingerprint,
    model,
    opt,
    scheduler,
    labelRng: new T.Rng(mixSeed(config.seed, 0x1abe1)),
    terms: LOSS_TERMS,
    parameters: model.parameterCount(),
    encoderParameters: adapter.encoder.parameterCount(),
    // Shards are featurized on a worker thread, the next one while the trainer works on the current
    // one (see shard-featurizer.ts), unless the caller brings its own featurizer.
    openSource: () =>
      shardSource<PackedShard, ShardData>({
        shardDir: run.shardDir,
        index,
        worker: run.featurize ? null : () => new ShardFeaturizer(run.vocab),
        featurize: (rows) => run.featurize!(rows, run.vocab),
        open: (packed) => ({ data: new ShardData(packed), invalid: packed.invalid.length }),
        cache: run.cache === true ? groverShardCache(run.shardDir, index, run.vocab) : null,
      }),
    loss: lossOf,
    writeModel: async ({ steps, molecules, path }) => {
      await writeFileAtomic(
        path,
        encodeEncoder(adapter.encoder, adapter.description, {
          ...run.info,
          objective: 'grover',
          atomVocab: run.vocab.atom.size,
          bondVocab: run.vocab.bond.size,
          epochs: config.epochs,
          steps,
          molecules,
          mode: config.mode,
        }),
      );
    },
    ...(run.onEvent ? { onEvent: run.onEvent } : {}),
    ...(run.signal ? { signal: run.signal } : {}),
  });
}
