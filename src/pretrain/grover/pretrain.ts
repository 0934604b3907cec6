/**
 * GROVER's self-supervised pretraining loop (tencent-ailab/grover `task/grovertrainer.py`,
 * `task/pretrain.py`; read, not copied): encoder + GroverTask heads, labels drawn per batch
 * (labels.ts), GROVER's loss (loss.ts), Adam under the Noam schedule, validation loss every epoch.
 *
 * Data streams from shard files (src/pretrain/shards.ts): one train shard is featurized at a time,
 * shards and molecules in a seeded order per epoch, batches within a shard. Validation shards are
 * featurized at each epoch's end, one at a time, with labels from a generator reset every epoch (the
 * same labels each epoch, so validation losses compare).
 *
 * Checkpoints (`checkpoint.mgck`) are written after every epoch and every `checkpointEvery` batches,
 * and when `signal` aborts (after the batch in progress). They hold the weights (encoder and heads),
 * Adam's moments, the scheduler step, the label and dropout generators, the position in the stream
 * (epoch, shard position, next batch), the running loss sums and the number of lines of loss.jsonl
 * that belong to it. A rerun resumes there and ends with the same weights and loss curve as an
 * uninterrupted run (lines appended after the checkpoint are dropped on resume).
 *
 * Files in `dir`: checkpoint.mgck, loss.jsonl (one JSON record per line: `{"kind":"train", …}` every
 * `logEvery` batches with the mean of each loss term over them, `{"kind":"valid", …}` per epoch),
 * pretrained.mgv (written at the end; see model-out.ts) and summary.json (written last: the run is
 * complete).
 */

import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GraphBatch } from '../../data/batch.js';
import { ConfigError, MolgroveError } from '../../errors.js';
import { type EncoderDescription, encodeEncoder } from '../../models/encoder-file.js';
import { Module } from '../../models/module.js';
import * as T from '../../tensor/index.js';
import {
  generatorStates,
  gradHolders,
  loadCheckpoint,
  restoreGenerators,
  restoreGradHolders,
  rngFromJson,
  rngToJson,
  saveCheckpoint,
} from '../../train/checkpoint.js';
import { writeFileAtomic, writeJsonAtomic } from '../../util/atomic.js';
import {
  batchesIn,
  mixSeed,
  readShard,
  rowOrder,
  type ShardIndex,
  type ShardRows,
  shardOrder,
  stepsPerEpoch,
} from '../shards.js';
import { type PackedShard, ShardData } from './data.js';
import { type GroverEmbeddings, GroverHeads } from './heads.js';
import { type MaskMode, sampleLabels } from './labels.js';
import { DEFAULT_DIST_COEFF, groverLoss, LOSS_TERMS, type LossValues } from './loss.js';
import { ShardFeaturizer } from './shard-featurizer.js';
import type { Vocab } from './vocab.js';

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

export type PretrainEvent =
  | {
      readonly type: 'start';
      readonly parameters: number;
      readonly encoderParameters: number;
      readonly stepsPerEpoch: number;
      readonly trainShards: number;
      readonly validShards: number;
      readonly trainRows: number;
      readonly validRows: number;
      readonly resumed: { readonly epoch: number; readonly shard: number; readonly batch: number } | null;
    }
  | {
      readonly type: 'batch';
      readonly epoch: number;
      readonly step: number;
      /** Batches done in this epoch / in all. */
      readonly batch: number;
      readonly batches: number;
      readonly loss: number;
      readonly lr: number;
      readonly moleculesPerSecond: number;
    }
  | {
      readonly type: 'shard';
      readonly epoch: number;
      readonly shard: number;
      readonly invalid: number;
      readonly seconds: number;
    }
  | {
      readonly type: 'epoch';
      readonly epoch: number;
      readonly trainLoss: number;
      readonly validLoss: number;
      readonly seconds: number;
    }
  | { readonly type: 'checkpoint'; readonly epoch: number; readonly shard: number; readonly batch: number }
  | { readonly type: 'interrupted'; readonly epoch: number }
  | { readonly type: 'done'; readonly summary: PretrainSummary; readonly reused: boolean };

export interface PretrainSummary {
  readonly epochs: number;
  readonly steps: number;
  readonly parameters: number;
  readonly encoderParameters: number;
  readonly finalTrainLoss: number;
  readonly finalValidLoss: number;
  readonly model: string;
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
}

export interface PretrainResult {
  readonly completed: boolean;
  readonly summary: PretrainSummary | null;
}

const CHECKPOINT_FORMAT = 'molgrove-grover-pretrain';
export const PRETRAINED_FILE = 'pretrained.mgv';

interface RunState {
  format: string;
  fingerprint: string;
  /** Position of the next batch. */
  epoch: number;
  shard: number;
  batch: number;
  labelRng: (number | null)[];
  generators: Record<string, (number | null)[]>;
  /** Parameters with a gradient buffer (see checkpoint.ts gradHolders). */
  gradHolders: string[];
  schedulerStep: number;
  molecules: number;
  epochSum: number;
  epochCount: number;
  window: { sums: number[]; batches: number; molecules: number };
  lossLines: number;
  history: { epoch: number; trainLoss: number; validLoss: number }[];
}

export function checkPretrainConfig(c: PretrainConfig): void {
  const int = (name: string, v: number, min: number) => {
    if (!(Number.isInteger(v) && v >= min))
      throw new ConfigError(`${name} must be an integer ≥ ${min}, got ${v}`);
  };
  int('epochs', c.epochs, 1);
  int('batch size', c.batchSize, 1);
  int('logEvery', c.logEvery, 1);
  int('checkpointEvery', c.checkpointEvery, 0);
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

const emptyWindow = () => ({ sums: LOSS_TERMS.map(() => 0), batches: 0, molecules: 0 });

function meanValues(sums: readonly number[], n: number): LossValues {
  return Object.fromEntries(LOSS_TERMS.map((k, i) => [k, sums[i]! / Math.max(n, 1)])) as LossValues;
}

/** Runs (or resumes) GROVER pretraining; returns `completed: false` when stopped by the signal. */
export async function pretrainGrover<G>(run: PretrainRun<G>): Promise<PretrainResult> {
  const { config, dir, index } = run;
  checkPretrainConfig(config);
  await mkdir(dir, { recursive: true });
  const summaryPath = join(dir, 'summary.json');
  const rng = new T.Rng(config.seed);
  const adapter = run.makeAdapter(rng.fork());
  const model = new GroverTaskModel(
    adapter,
    { atom: run.vocab.atom.size, bond: run.vocab.bond.size },
    rng.fork(),
  );
  const parameters = model.parameterCount();
  const encoderParameters = adapter.encoder.parameterCount();
  const fingerprint = JSON.stringify({
    config: { ...config, logEvery: config.logEvery, checkpointEvery: null },
    encoder: adapter.description as unknown as T.MetadataValue,
    vocab: { atom: run.vocab.atom.tokens, bond: run.vocab.bond.tokens },
    data: {
      source: index.source.path,
      rows: index.rows,
      shardSize: index.shardSize,
      split: [index.splitSeed, index.validFraction],
      train: index.train,
      valid: index.valid,
    },
  });
  if (existsSync(summaryPath)) {
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as PretrainSummary & {
      fingerprint?: string;
    };
    if (summary.fingerprint !== fingerprint) {
      throw new MolgroveError(
        'CHECKPOINT',
        `${dir} holds a finished run with a different configuration; use another --out directory`,
      );
    }
    const { fingerprint: _f, ...rest } = summary;
    run.onEvent?.({ type: 'done', summary: rest, reused: true });
    return { completed: true, summary: rest };
  }

  const opt = new T.Adam(model.parameters(), { lr: config.initLr, weightDecay: config.weightDecay });
  const steps = stepsPerEpoch(index, config.batchSize);
  const scheduler = new T.LRScheduler(
    opt,
    T.noamSchedule({
      warmupEpochs: config.warmupEpochs,
      totalEpochs: config.epochs,
      stepsPerEpoch: steps,
      initLr: config.initLr,
      maxLr: config.maxLr,
      finalLr: config.finalLr,
    }),
  );
  const labelRng = new T.Rng(mixSeed(config.seed, 0x1abe1));

  const ckptPath = join(dir, 'checkpoint.mgck');
  const lossPath = join(dir, 'loss.jsonl');
  let state: RunState = {
    format: CHECKPOINT_FORMAT,
    fingerprint,
    epoch: 0,
    shard: 0,
    batch: 0,
    labelRng: rngToJson(labelRng.getState()),
    generators: generatorStates(model),
    gradHolders: [],
    schedulerStep: 0,
    molecules: 0,
    epochSum: 0,
    epochCount: 0,
    window: emptyWindow(),
    lossLines: 0,
    history: [],
  };
  let lossLines: string[] = [];
  let lossCount = 0;
  let resumed: { epoch: number; shard: number; batch: number } | null = null;
  if (existsSync(ckptPath)) {
    const loaded = loadCheckpoint<RunState>(ckptPath, model, opt, CHECKPOINT_FORMAT);
    if (loaded.fingerprint !== fingerprint) {
      throw new MolgroveError(
        'CHECKPOINT',
        `${ckptPath} belongs to a run with a different configuration or data; use another --out directory or delete it`,
      );
    }
    state = loaded;
    labelRng.setState(rngFromJson(state.labelRng));
    restoreGenerators(model, state.generators);
    restoreGradHolders(model, state.gradHolders);
    scheduler.loadStateDict({ step: state.schedulerStep });
    const text = existsSync(lossPath) ? await readFile(lossPath, 'utf8') : '';
    lossLines = text
      .split('\n')
      .filter((l) => l !== '')
      .slice(0, state.lossLines);
    if (lossLines.length !== state.lossLines) {
      throw new MolgroveError('CHECKPOINT', `${lossPath} has fewer records than ${ckptPath} expects`);
    }
    resumed = { epoch: state.epoch, shard: state.shard, batch: state.batch };
  }
  await writeFileAtomic(lossPath, lossLines.map((l) => `${l}\n`).join(''));
  lossCount = lossLines.length;
  lossLines = [];
  const appendRecord = async (rec: Record<string, unknown>) => {
    // Appended, not rewritten: lines past the last checkpoint's count are dropped on resume.
    await appendFile(lossPath, `${JSON.stringify(rec)}\n`);
    lossCount++;
  };

  const trainRows = index.train.reduce((n, s) => n + s.rows, 0);
  const validRows = index.valid.reduce((n, s) => n + s.rows, 0);
  run.onEvent?.({
    type: 'start',
    parameters,
    encoderParameters,
    stepsPerEpoch: steps,
    trainShards: index.train.length,
    validShards: index.valid.length,
    trainRows,
    validRows,
    resumed,
  });

  // Shards are featurized on a worker thread, the next one while the trainer works on the current
  // one (see shard-featurizer.ts), unless the caller brings its own featurizer.
  const featurizer = run.featurize ? null : new ShardFeaturizer(run.vocab);
  const shardRows = (kind: 'train' | 'valid', i: number) => () =>
    readShard(run.shardDir, (kind === 'train' ? index.train : index.valid)[i]!);
  const prefetch = (kind: 'train' | 'valid', i: number): void => {
    if (featurizer && i < (kind === 'train' ? index.train : index.valid).length)
      featurizer.prefetch(`${kind}-${i}`, shardRows(kind, i));
  };
  const loadShard = async (kind: 'train' | 'valid', i: number) => {
    const rows = await shardRows(kind, i)();
    const packed = featurizer
      ? await featurizer.get(`${kind}-${i}`, async () => rows)
      : await run.featurize!(rows, run.vocab);
    return { rows, data: new ShardData(packed), invalid: packed.invalid.length };
  };

  const saveState = async () => {
    state.labelRng = rngToJson(labelRng.getState());
    state.generators = generatorStates(model);
    state.gradHolders = gradHolders(model);
    state.schedulerStep = scheduler.stepCount;
    state.lossLines = lossCount;
    await saveCheckpoint(ckptPath, model, opt, state);
    run.onEvent?.({ type: 'checkpoint', epoch: state.epoch, shard: state.shard, batch: state.batch });
  };

  const flushWindow = async (epoch: number) => {
    const w = state.window;
    if (w.batches === 0) return;
    await appendRecord({
      kind: 'train',
      epoch,
      step: scheduler.stepCount,
      molecules: state.molecules,
      batches: w.batches,
      lr: opt.groups[0]!.lr,
      ...meanValues(w.sums, w.batches),
    });
    state.window = emptyWindow();
  };

  const stepBatch = (data: ShardData, mols: number[]): LossValues => {
    const b = data.batch(mols);
    const labels = sampleLabels(b.labels, labelRng);
    return T.tidy(() => {
      opt.zeroGrad();
      const masks: InputMasks =
        config.mode === 'fixed' ? { maskAtoms: labels.maskAtoms, maskBonds: labels.maskBonds } : {};
      const emb = adapter.encoder.forward(adapter.input(b.graphs, masks));
      const pred = model.heads.forward(emb, b.graphs);
      const loss = groverLoss(
        pred,
        { atom: labels.atom, bond: labels.bond, motifs: labels.motifs },
        config.distCoeff,
      );
      T.backward(loss.total);
      opt.step();
      return loss.values;
    });
  };

  const validate = async (): Promise<LossValues | null> => {
    if (index.valid.length === 0) return null;
    model.eval();
    const vr = new T.Rng(mixSeed(config.seed, 0x7a11d));
    const sums = LOSS_TERMS.map(() => 0);
    let n = 0;
    for (let s = 0; s < index.valid.length; s++) {
      const { data } = await loadShard('valid', s);
      prefetch('valid', s + 1);
      for (let i = 0; i < data.size; i += config.batchSize) {
        const mols = Array.from({ length: Math.min(config.batchSize, data.size - i) }, (_, k) => i + k);
        const b = data.batch(mols);
        const labels = sampleLabels(b.labels, vr);
        const values = T.noGrad(() =>
          T.tidy(() => {
            const masks: InputMasks =
              config.mode === 'fixed' ? { maskAtoms: labels.maskAtoms, maskBonds: labels.maskBonds } : {};
            const emb = adapter.encoder.forward(adapter.input(b.graphs, masks));
            const pred = model.heads.forward(emb, b.graphs);
            return groverLoss(
              pred,
              { atom: labels.atom, bond: labels.bond, motifs: labels.motifs },
              config.distCoeff,
            ).values;
          }),
        );
        LOSS_TERMS.forEach((k, j) => {
          sums[j]! += values[k] * mols.length;
        });
        n += mols.length;
      }
    }
    model.train();
    return n > 0 ? meanValues(sums, n) : null;
  };

  const started = performance.now();
  let moleculesThisSession = 0;
  let sinceCheckpoint = 0;
  model.train();
  for (let epoch = state.epoch; epoch < config.epochs; epoch++) {
    const t0 = performance.now();
    const order = shardOrder(index.train.length, config.seed, epoch);
    let batchInEpoch = 0;
    for (let sp = 0; sp < state.shard; sp++)
      batchInEpoch += batchesIn(index.train[order[sp]!]!.rows, config.batchSize);
    batchInEpoch += state.batch;
    for (let sp = state.shard; sp < order.length; sp++) {
      const shardIdx = order[sp]!;
      const info = index.train[shardIdx]!;
      const nb = batchesIn(info.rows, config.batchSize);
      const ts = performance.now();
      const { rows, data, invalid } = await loadShard('train', shardIdx);
      // The next shard of this epoch, or after the last one the first validation shard.
      if (sp + 1 < order.length) prefetch('train', order[sp + 1]!);
      else prefetch('valid', 0);
      run.onEvent?.({
        type: 'shard',
        epoch,
        shard: shardIdx,
        invalid,
        seconds: (performance.now() - ts) / 1000,
      });
      const positions = rowOrder(info.rows, config.seed, epoch, shardIdx);
      for (let b = state.batch; b < nb; b++) {
        const mols: number[] = [];
        for (let k = b * config.batchSize; k < Math.min((b + 1) * config.batchSize, info.rows); k++) {
          const m = data.indexOfRow(rows.rows[positions[k]!]!);
          if (m >= 0) mols.push(m);
        }
        if (mols.length > 0) {
          const values = stepBatch(data, mols);
          if (!Number.isFinite(values.total)) {
            throw new MolgroveError(
              'SHAPE',
              `pretraining diverged: loss ${values.total} at epoch ${epoch}, step ${scheduler.stepCount}`,
            );
          }
          LOSS_TERMS.forEach((k, j) => {
            state.window.sums[j]! += values[k];
          });
          state.window.molecules += mols.length;
          state.epochSum += values.total * mols.length;
          state.epochCount += mols.length;
          state.molecules += mols.length;
          moleculesThisSession += mols.length;
          const secs = (performance.now() - started) / 1000;
          run.onEvent?.({
            type: 'batch',
            epoch,
            step: scheduler.stepCount,
            batch: batchInEpoch + 1,
            batches: steps,
            loss: values.total,
            lr: opt.groups[0]!.lr,
            moleculesPerSecond: moleculesThisSession / Math.max(secs, 1e-9),
          });
        }
        // Every planned step advances the schedule (a batch of only unparsable rows takes none).
        scheduler.step();
        state.window.batches++;
        batchInEpoch++;
        if (state.window.batches >= config.logEvery) await flushWindow(epoch);
        state.batch = b + 1;
        if (state.batch >= nb) {
          state.shard = sp + 1;
          state.batch = 0;
        } else {
          state.shard = sp;
        }
        sinceCheckpoint++;
        const last = state.shard >= order.length;
        if (
          !last &&
          (run.signal?.aborted || (config.checkpointEvery > 0 && sinceCheckpoint >= config.checkpointEvery))
        ) {
          await saveState();
          sinceCheckpoint = 0;
          if (run.signal?.aborted) {
            run.onEvent?.({ type: 'interrupted', epoch });
            await featurizer?.close();
            return { completed: false, summary: null };
          }
        }
      }
      state.batch = 0;
    }
    await flushWindow(epoch);
    const valid = await validate();
    const trainLoss = state.epochSum / Math.max(state.epochCount, 1);
    const validLoss = valid ? valid.total : Number.NaN;
    await appendRecord({
      kind: 'valid',
      epoch,
      step: scheduler.stepCount,
      molecules: state.molecules,
      ...(valid ?? {}),
    });
    state.history.push({ epoch, trainLoss, validLoss: valid ? valid.total : Number.NaN });
    state.epoch = epoch + 1;
    state.shard = 0;
    state.batch = 0;
    state.epochSum = 0;
    state.epochCount = 0;
    await saveState();
    sinceCheckpoint = 0;
    run.onEvent?.({ type: 'epoch', epoch, trainLoss, validLoss, seconds: (performance.now() - t0) / 1000 });
    if (run.signal?.aborted && epoch + 1 < config.epochs) {
      run.onEvent?.({ type: 'interrupted', epoch });
      await featurizer?.close();
      return { completed: false, summary: null };
    }
  }

  const modelPath = join(dir, PRETRAINED_FILE);
  await writeFileAtomic(
    modelPath,
    encodeEncoder(adapter.encoder, adapter.description, {
      ...run.info,
      objective: 'grover',
      atomVocab: run.vocab.atom.size,
      bondVocab: run.vocab.bond.size,
      epochs: config.epochs,
      steps: scheduler.stepCount,
      molecules: state.molecules,
      mode: config.mode,
    }),
  );
  const lastH = state.history[state.history.length - 1];
  const summary: PretrainSummary = {
    epochs: config.epochs,
    steps: scheduler.stepCount,
    parameters,
    encoderParameters,
    finalTrainLoss: lastH?.trainLoss ?? Number.NaN,
    finalValidLoss: lastH?.validLoss ?? Number.NaN,
    model: modelPath,
  };
  await writeJsonAtomic(summaryPath, { ...summary, fingerprint });
  run.onEvent?.({ type: 'done', summary, reused: false });
  await featurizer?.close();
  return { completed: true, summary };
}
