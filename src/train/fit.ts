// Training one seed: the fit loop with batches shuffled by the run seed, Adam (optionally under
// GROVER's Noam schedule), gradient clipping, evaluation each epoch, best-validation selection
// (the test score is the one at that epoch, as Hu et al. and GROVER report), early stopping, and
// a checkpoint after every epoch. A run killed at any point and started again continues from its
// last checkpoint and ends with exactly the numbers of an uninterrupted run: the checkpoint holds
// the weights, optimizer moments, batch-norm statistics, every random generator and the history.
//
// Files in the seed directory: checkpoint.mgck (latest epoch), model.mgv (best epoch, a
// self-describing model file), epochs.jsonl (one record per epoch), result.json (written last; its
// presence means the seed is done).

import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MolgroveError } from '../errors.js';
import { evaluate, getMetric } from '../metrics/index.js';
import { decodeModel, encodeModel, type ModelInfo } from '../models/model-file.js';
import type { StateDict } from '../models/module.js';
import type { ModelInput } from '../models/molecule-model.js';
import { MoleculeModel } from '../models/molecule-model.js';
import type { ModelSpec } from '../models/spec.js';
import * as T from '../tensor/index.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import {
  generatorStates,
  gradHolders,
  loadCheckpoint,
  restoreGenerators,
  restoreGradHolders,
  rngFromJson,
  rngToJson,
  saveCheckpoint,
} from './checkpoint.js';
import { type FinetuneConfig, FinetuneConfigSchema } from './config.js';
import { makeInput, scaleTargets, type TaskData, targetsOf, trainingBatches } from './data.js';
import { withEncoderDigest } from './encoder-digest.js';
import type { EpochRecord, EventSink, SeedResult } from './events.js';
import { taskLoss, viewsLoss } from './objective.js';

export interface SeedRun {
  readonly config: FinetuneConfig;
  readonly data: TaskData;
  readonly spec: ModelSpec;
  readonly seed: number;
  readonly splitSeed: number;
  /** Usable dataset rows of each part. */
  readonly split: {
    readonly train: readonly number[];
    readonly valid: readonly number[];
    readonly test: readonly number[];
  };
  readonly dir: string;
  readonly metric: string;
  readonly onEvent?: EventSink;
  /** Stops after the current epoch's checkpoint (the run can be resumed). */
  readonly signal?: AbortSignal;
  /** Provenance stored in the model file. */
  readonly info?: ModelInfo;
  /** Pretrained encoder weights to start from (relative to the encoder). */
  readonly pretrained?: StateDict;
}

const CHECKPOINT_FORMAT = 'molgrove-checkpoint';

interface CheckpointMeta {
  format: string;
  /** The config this seed runs under, to refuse resuming a different run in the same folder. */
  fingerprint: string;
  epoch: number;
  history: EpochRecord[];
  bestEpoch: number;
  bestScore: number;
  bad: number;
  orderRng: (number | null)[];
  generators: Record<string, (number | null)[]>;
  /** Parameters holding a gradient buffer (see checkpoint.ts gradHolders); absent in older files. */
  gradHolders?: string[];
  schedulerStep: number | null;
}

/** Everything about a seed's run that determines its numbers (not where it runs or its seed list). */
function fingerprintOf(run: SeedRun): string {
  return JSON.stringify({
    // Through the schema, as the stored side: the same settings give the same text whatever order a
    // caller built the config in (a study adds `from` to a resolved config).
    config: fingerprintConfig(FinetuneConfigSchema.parse(run.config)),
    seed: run.seed,
    splitSeed: run.splitSeed,
    split: run.split,
    spec: run.spec,
  });
}

function fingerprintConfig(config: FinetuneConfig): Omit<FinetuneConfig, 'seeds' | 'protocol'> {
  const { seeds: _s, protocol: _p, ...rest } = config;
  return withEncoderDigest(rest);
}

/**
 * A stored fingerprint as this version writes it: its config re-read through the schema, so
 * options added since (with their defaults) do not make an older checkpoint look foreign.
 */
function currentFingerprint(stored: string): string {
  try {
    const o = JSON.parse(stored) as { config: Record<string, unknown> };
    return JSON.stringify({ ...o, config: fingerprintConfig(FinetuneConfigSchema.parse(o.config)) });
  } catch {
    return stored;
  }
}

/** JSON writes NaN (an undefined score) as null; read it back as NaN. */
const num = (v: number | null): number => (v === null ? Number.NaN : v);
const reviveRecord = (h: EpochRecord): EpochRecord => ({
  ...h,
  trainLoss: num(h.trainLoss),
  validLoss: num(h.validLoss),
  valid: num(h.valid),
  test: num(h.test),
});

/**
 * The optimizer's parameter groups: everything, or the head and the encoder apart when the encoder
 * learns at its own rate (the encoder group's lr is scaled); a frozen encoder takes no gradients.
 */
function parameterGroups(
  model: MoleculeModel,
  config: FinetuneConfig,
): { params: T.Parameter[]; lr?: number }[] {
  const encoder = model.encoder?.parameters() ?? [];
  if (config.freezeEncoder) for (const p of encoder) p.requiresGrad = false;
  if (encoder.length === 0 || (!config.freezeEncoder && config.encoderLrScale === 1))
    return [{ params: model.parameters() }];
  const inEncoder = new Set(encoder);
  const head = model.parameters().filter((p) => !inEncoder.has(p));
  if (config.freezeEncoder) return [{ params: head }];
  return [{ params: head }, { params: encoder, lr: config.lr * config.encoderLrScale }];
}

export async function trainSeed(run: SeedRun): Promise<SeedResult> {
  const { config, data, dir } = run;
  const resultPath = join(dir, 'result.json');
  if (existsSync(resultPath)) {
    const stored = JSON.parse(readFileSync(resultPath, 'utf8')) as SeedResult;
    const result: SeedResult = { ...stored, valid: num(stored.valid), test: num(stored.test) };
    run.onEvent?.({ type: 'seed-done', result, reused: true });
    return result;
  }
  await mkdir(dir, { recursive: true });
  const metric = getMetric(run.metric);
  const better = (a: number, b: number): boolean => (metric.higherIsBetter ? a > b : a < b);
  const model = new MoleculeModel(run.spec, run.seed);
  const tasks = run.spec.taskNames.length;
  const classification = run.spec.taskType === 'classification';
  const scaler = run.spec.scaler;

  if (run.pretrained) {
    if (!model.encoder)
      throw new MolgroveError('CONFIG', 'a pretrained encoder needs a model with an encoder');
    model.encoder.loadStateDict(run.pretrained);
  }
  const opt = new T.Adam(parameterGroups(model, config), { lr: config.lr, weightDecay: config.weightDecay });
  const groupScale = opt.groups.length > 1 ? [1, config.encoderLrScale] : 1;
  const stepsPerEpoch = Math.max(1, Math.floor(run.split.train.length / config.batchSize));
  const scheduler =
    config.schedule === 'noam'
      ? new T.LRScheduler(
          opt,
          T.noamSchedule({
            warmupEpochs: config.warmupEpochs,
            totalEpochs: config.epochs,
            stepsPerEpoch,
            initLr: config.initLr ?? config.lr / 10,
            maxLr: config.maxLr ?? config.lr,
            finalLr: config.finalLr ?? config.lr / 10,
            groupScale,
          }),
        )
      : null;
  // Batch order has a stream of its own (the model's generator is Rng(seed) itself).
  const orderRng = new T.Rng(run.seed).fork();

  const fingerprint = fingerprintOf(run);
  const ckptPath = join(dir, 'checkpoint.mgck');
  let history: EpochRecord[] = [];
  let bestEpoch = -1;
  let bestScore = Number.NaN;
  let bad = 0;
  let start = 0;
  if (existsSync(ckptPath)) {
    const meta = loadCheckpoint<CheckpointMeta>(ckptPath, model, opt, CHECKPOINT_FORMAT);
    if (currentFingerprint(meta.fingerprint) !== fingerprint) {
      throw new MolgroveError(
        'CHECKPOINT',
        `${ckptPath} belongs to a run with a different configuration; use another --out directory or delete it`,
      );
    }
    history = meta.history.map(reviveRecord);
    bestEpoch = meta.bestEpoch;
    bestScore = num(meta.bestScore);
    bad = meta.bad;
    start = meta.epoch + 1;
    orderRng.setState(rngFromJson(meta.orderRng));
    restoreGenerators(model, meta.generators);
    restoreGradHolders(model, meta.gradHolders ?? []);
    if (scheduler && meta.schedulerStep !== null) scheduler.loadStateDict({ step: meta.schedulerStep });
    run.onEvent?.({ type: 'resume', seed: run.seed, epoch: start });
  }
  // The JSONL is derived from the checkpoint's history, so a kill between the two writes loses nothing.
  await writeFileAtomic(join(dir, 'epochs.jsonl'), history.map((h) => `${JSON.stringify(h)}\n`).join(''));
  run.onEvent?.({
    type: 'seed-start',
    seed: run.seed,
    splitSeed: run.splitSeed,
    parameters: model.parameterCount(),
    dir,
  });

  const trainTargets = targetsOf(data, run.split.train);
  if (scaler) scaleTargets(trainTargets, scaler);
  const lossOf = (out: T.Tensor, y: Float32Array): T.Tensor => taskLoss(out, y, classification);
  // A frozen encoder is a fixed feature extractor: its batch-norm statistics, dropout and (GROVER)
  // hop count stay in eval mode while the head trains, so its function is the pretrained one.
  const trainMode = () => {
    model.train();
    if (config.freezeEncoder) model.encoder?.eval();
  };
  const trainingLoss = (input: ModelInput, y: Float32Array): T.Tensor =>
    viewsLoss(model.forwardViews(input), y, classification, config.distCoeff);

  const evaluateRows = (rows: readonly number[]): { score: number; loss: number } => {
    if (rows.length === 0) return { score: Number.NaN, loss: Number.NaN };
    model.eval();
    const preds = new Float32Array(rows.length * tasks);
    let lossSum = 0;
    let lossCount = 0;
    const y = targetsOf(data, rows);
    const yScaled = scaler ? scaleTargets(y.slice(), scaler) : y;
    for (let i = 0; i < rows.length; i += config.evalBatchSize) {
      const part = rows.slice(i, i + config.evalBatchSize);
      T.noGrad(() =>
        T.tidy(() => {
          const out = model.forward(makeInput(data, part));
          const yb = yScaled.subarray(i * tasks, (i + part.length) * tasks);
          let present = 0;
          for (const v of yb) if (!Number.isNaN(v)) present++;
          if (present > 0) {
            lossSum += lossOf(out, yb).item() * present;
            lossCount += present;
          }
          preds.set(model.toPrediction(out.data.slice()), i * tasks);
        }),
      );
    }
    trainMode();
    const scored = evaluate(metric.name, y, preds, tasks);
    return { score: scored.mean, loss: lossCount > 0 ? lossSum / lossCount : Number.NaN };
  };

  let stoppedEarly = false;
  for (let epoch = start; epoch < config.epochs; epoch++) {
    const t0 = performance.now();
    trainMode();
    const order = run.split.train.slice();
    orderRng.shuffle(order);
    let lossSum = 0;
    let lossCount = 0;
    const batches = trainingBatches(data, order, config.batchSize);
    for (const [b, rows] of batches.entries()) {
      const yb = targetsOf(data, rows);
      if (scaler) scaleTargets(yb, scaler);
      const loss = T.tidy(() => {
        opt.zeroGrad();
        const l = trainingLoss(makeInput(data, rows), yb);
        T.backward(l);
        if (config.clipNorm !== null) T.clipGradNorm(model.parameters(), config.clipNorm);
        opt.step();
        return l.item();
      });
      scheduler?.step();
      if (!Number.isFinite(loss)) {
        throw new MolgroveError(
          'SHAPE',
          `training diverged: loss ${loss} at epoch ${epoch}, batch ${b} (lower --lr?)`,
        );
      }
      lossSum += loss * rows.length;
      lossCount += rows.length;
    }
    const valid = evaluateRows(run.split.valid);
    const test = evaluateRows(run.split.test);
    const record: EpochRecord = {
      epoch,
      trainLoss: lossSum / Math.max(lossCount, 1),
      validLoss: valid.loss,
      valid: valid.score,
      test: test.score,
      lr: opt.groups[0]!.lr,
      seconds: (performance.now() - t0) / 1000,
    };
    const score = config.selectBy === 'loss' ? valid.loss : valid.score;
    const improved =
      bestEpoch < 0 ||
      (Number.isNaN(bestScore) && !Number.isNaN(score)) ||
      (config.selectBy === 'loss' ? score < bestScore : better(score, bestScore));
    if (improved) {
      bestEpoch = epoch;
      bestScore = score;
      bad = 0;
      await writeFileAtomic(
        join(dir, 'model.mgv'),
        encodeModel(model, { ...run.info, epoch, seed: run.seed }),
      );
    } else {
      bad++;
    }
    history.push(record);
    await saveCheckpoint(ckptPath, model, opt, {
      format: CHECKPOINT_FORMAT,
      fingerprint,
      epoch,
      history,
      bestEpoch,
      bestScore,
      bad,
      orderRng: rngToJson(orderRng.getState()),
      generators: generatorStates(model),
      gradHolders: gradHolders(model),
      schedulerStep: scheduler ? scheduler.stepCount : null,
    });
    await writeFileAtomic(join(dir, 'epochs.jsonl'), history.map((h) => `${JSON.stringify(h)}\n`).join(''));
    run.onEvent?.({ type: 'epoch', seed: run.seed, best: improved, ...record });
    if (config.patience !== null && bad >= config.patience) {
      stoppedEarly = true;
      break;
    }
    if (run.signal?.aborted)
      throw new MolgroveError('INTERRUPTED', `interrupted after epoch ${epoch}; rerun to resume`);
  }

  const best = history[bestEpoch]!;
  const testPerTask = bestTestPerTask(dir, run, tasks);
  const result: SeedResult = {
    seed: run.seed,
    splitSeed: run.splitSeed,
    metric: metric.name,
    bestEpoch,
    valid: best.valid,
    test: best.test,
    testPerTask,
    epochsRun: history.length,
    secondsPerEpoch: history.reduce((s, h) => s + h.seconds, 0) / history.length,
    trainSize: run.split.train.length,
    validSize: run.split.valid.length,
    testSize: run.split.test.length,
    stoppedEarly,
  };
  await writeJsonAtomic(resultPath, result);
  run.onEvent?.({ type: 'seed-done', result, reused: false });
  return result;
}

/** Per-task test scores of the best model (re-read from model.mgv so they belong to that epoch). */
function bestTestPerTask(dir: string, run: SeedRun, tasks: number): (number | null)[] {
  if (run.split.test.length === 0) return Array.from({ length: tasks }, () => null);
  const bytes = readFileSync(join(dir, 'model.mgv'));
  const { model } = decodeModel(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const preds = new Float32Array(run.split.test.length * tasks);
  for (let i = 0; i < run.split.test.length; i += run.config.evalBatchSize) {
    const part = run.split.test.slice(i, i + run.config.evalBatchSize);
    preds.set(model.predict(makeInput(run.data, part)), i * tasks);
  }
  return [...evaluate(run.metric, targetsOf(run.data, run.split.test), preds, tasks).perTask];
}
