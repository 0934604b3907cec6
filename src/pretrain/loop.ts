/**
 * The streamed pretraining loop every self-supervised trainer shares (GROVER's, grover/pretrain.ts,
 * and the generic objective trainer, trainer.ts): epochs over the train shards in a seeded order
 * (shards.ts), batches within a shard, validation over the validation shards at each epoch's end,
 * loss.jsonl records, checkpoints, byte-identical resume, the final encoder file and summary.json.
 * What differs between trainers (the model, how a batch becomes a loss, how a shard is featurized)
 * comes in as callbacks.
 *
 * Checkpoints (`checkpoint.mgck`) are written after every epoch and every `checkpointEvery` batches,
 * and when `signal` aborts (after the batch in progress). They hold the weights, Adam's moments, the
 * scheduler step, the sampling and dropout generators, the position in the stream (epoch, shard
 * position, next batch), the running loss sums and the number of lines of loss.jsonl that belong to
 * it. A rerun resumes there and ends with the same weights and loss curve as an uninterrupted run
 * (lines appended after the checkpoint are dropped on resume).
 *
 * loss.jsonl: one JSON record per line, `{"kind":"train", …}` every `logEvery` batches with the mean
 * of each loss term over them, `{"kind":"valid", …}` per epoch. summary.json is written last: its
 * presence means the run is complete, and a rerun with the same fingerprint reuses it.
 */

import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, MolgroveError } from '../errors.js';
import type { Module } from '../models/module.js';
import * as T from '../tensor/index.js';
import {
  generatorStates,
  gradHolders,
  loadCheckpoint,
  type RngJson,
  restoreGenerators,
  restoreGradHolders,
  rngFromJson,
  rngToJson,
  saveCheckpoint,
} from '../train/checkpoint.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import {
  batchesIn,
  mixSeed,
  rowOrder,
  type ShardIndex,
  type ShardRows,
  shardOrder,
  stepsPerEpoch,
} from './shards.js';

export const PRETRAINED_FILE = 'pretrained.mgv';

/** The settings every pretraining run's loop reads, checked with the offending value named. */
export function checkLoopConfig(c: {
  readonly epochs: number;
  readonly batchSize: number;
  readonly logEvery: number;
  readonly checkpointEvery: number;
}): void {
  const int = (name: string, v: number, min: number) => {
    if (!(Number.isInteger(v) && v >= min))
      throw new ConfigError(`${name} must be an integer ≥ ${min}, got ${v}`);
  };
  int('epochs', c.epochs, 1);
  int('batch size', c.batchSize, 1);
  int('logEvery', c.logEvery, 1);
  int('checkpointEvery', c.checkpointEvery, 0);
}
/** The encoder after epoch n (1-based), as GROVER keeps model.ep{n}: for fine-tuning from any epoch. */
export const epochModelFile = (epoch: number): string => `pretrained-epoch${epoch}.mgv`;
export const CHECKPOINT_FILE = 'checkpoint.mgck';
export const LOSS_FILE = 'loss.jsonl';
export const SUMMARY_FILE = 'summary.json';

/** What the loop itself reads of a trainer's configuration. */
export interface LoopConfig {
  readonly epochs: number;
  readonly batchSize: number;
  readonly seed: number;
  /** Batches per train record of loss.jsonl. */
  readonly logEvery: number;
  /** Batches between mid-epoch checkpoints (0: only at epoch ends). */
  readonly checkpointEvery: number;
}

/** One batch's loss terms by name; `total` is the one that is optimized. */
export type TermValues = Readonly<Record<string, number>> & { readonly total: number };

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
      /** Read back from the featurized-shard cache instead of featurized. */
      readonly cached: boolean;
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

export interface PretrainResult {
  readonly completed: boolean;
  readonly summary: PretrainSummary | null;
}

/** The trainer's state in a checkpoint (the `run` entry; field names are stable across versions). */
export interface RunState {
  format: string;
  fingerprint: string;
  /** Position of the next batch. */
  epoch: number;
  shard: number;
  batch: number;
  /** The generator of per-batch targets (labels, masks). */
  labelRng: RngJson;
  generators: Record<string, RngJson>;
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

/** A featurized shard as the loop sees it. */
export interface StreamShard {
  readonly size: number;
  /** Molecule index of a source row, or -1 when that row did not parse. */
  indexOfRow(row: number): number;
}

export interface LoadedShard<D> {
  readonly rows: ShardRows;
  readonly data: D;
  /** Rows that did not parse. */
  readonly invalid: number;
  /** Read back from the featurized-shard cache (shard-cache.ts) instead of featurized. */
  readonly cached?: boolean;
}

/** Where featurized shards come from (a worker with prefetch, or this thread). */
export interface ShardSource<D> {
  load(kind: 'train' | 'valid', i: number): Promise<LoadedShard<D>>;
  /** Starts featurizing shard i ahead of need (no-op when i is past the end). */
  prefetch(kind: 'train' | 'valid', i: number): void;
  close(): Promise<void>;
}

export interface LoopParams<D extends StreamShard> {
  readonly dir: string;
  readonly index: ShardIndex;
  readonly config: LoopConfig;
  /** Checkpoint format name. */
  readonly format: string;
  /** Everything that must match for a checkpoint or summary to belong to this run. */
  readonly fingerprint: string;
  readonly model: Module;
  readonly opt: T.Adam;
  readonly scheduler: T.LRScheduler;
  /** Generator of per-batch targets, checkpointed with the run. */
  readonly labelRng: T.Rng;
  /** Loss terms logged, in record order ('total' among them). */
  readonly terms: readonly string[];
  readonly parameters: number;
  readonly encoderParameters: number;
  /** Opened once the run is known not to be finished already. */
  readonly openSource: () => ShardSource<D>;
  /**
   * The loss of molecules `mols` of `data`: the scalar to backpropagate and its logged terms. The
   * loop takes one optimizer step on it per training batch, and evaluates it without gradients (the
   * model in eval mode) on validation batches.
   */
  readonly loss: (
    data: D,
    mols: number[],
    rng: T.Rng,
  ) => { readonly total: T.Tensor; readonly values: TermValues };
  /** Writes the encoder file at `path` (after each epoch, and the final one). */
  readonly writeModel: (run: { steps: number; molecules: number; path: string }) => Promise<void>;
  readonly onEvent?: (e: PretrainEvent) => void;
  readonly signal?: AbortSignal;
}

/** The summary of a finished run in `dir`, or null; a finished run with another fingerprint is refused. */
export function finishedRun(dir: string, fingerprint: string): PretrainSummary | null {
  const summaryPath = join(dir, SUMMARY_FILE);
  if (!existsSync(summaryPath)) return null;
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
  return rest;
}

/**
 * loss.jsonl: kept to the `keep` records a checkpoint counts (null: started afresh), then appended
 * to, not rewritten, so that lines past the last checkpoint's count are dropped on resume.
 */
export class LossLog {
  private constructor(
    readonly path: string,
    private n: number,
  ) {}

  static async open(path: string, keep: number | null, checkpoint: string): Promise<LossLog> {
    let lines: string[] = [];
    if (keep !== null) {
      const text = existsSync(path) ? await readFile(path, 'utf8') : '';
      lines = text
        .split('\n')
        .filter((l) => l !== '')
        .slice(0, keep);
      if (lines.length !== keep)
        throw new MolgroveError('CHECKPOINT', `${path} has fewer records than ${checkpoint} expects`);
    }
    await writeFileAtomic(path, lines.map((l) => `${l}\n`).join(''));
    return new LossLog(path, lines.length);
  }

  /** Records written so far. */
  get count(): number {
    return this.n;
  }

  async append(rec: Record<string, unknown>): Promise<void> {
    await appendFile(this.path, `${JSON.stringify(rec)}\n`);
    this.n++;
  }
}

const emptyWindow = (terms: readonly string[]) => ({ sums: terms.map(() => 0), batches: 0, molecules: 0 });

/** Each term's mean over `n`. */
export function meanTerms(terms: readonly string[], sums: readonly number[], n: number): TermValues {
  return Object.fromEntries(terms.map((k, i) => [k, sums[i]! / Math.max(n, 1)])) as TermValues;
}

/** Runs (or resumes) the loop; returns `completed: false` when stopped by the signal. */
export async function runPretrainLoop<D extends StreamShard>(p: LoopParams<D>): Promise<PretrainResult> {
  const { config, dir, index, model, opt, scheduler, labelRng, terms, fingerprint } = p;
  await mkdir(dir, { recursive: true });
  const reused = finishedRun(dir, fingerprint);
  if (reused) {
    p.onEvent?.({ type: 'done', summary: reused, reused: true });
    return { completed: true, summary: reused };
  }
  const steps = stepsPerEpoch(index, config.batchSize);
  const ckptPath = join(dir, CHECKPOINT_FILE);
  let state: RunState = {
    format: p.format,
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
    window: emptyWindow(terms),
    lossLines: 0,
    history: [],
  };
  let resumed: { epoch: number; shard: number; batch: number } | null = null;
  if (existsSync(ckptPath)) {
    const loaded = loadCheckpoint<RunState>(ckptPath, model, opt, p.format);
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
    resumed = { epoch: state.epoch, shard: state.shard, batch: state.batch };
  }
  const log = await LossLog.open(join(dir, LOSS_FILE), resumed ? state.lossLines : null, ckptPath);

  const trainRows = index.train.reduce((n, s) => n + s.rows, 0);
  const validRows = index.valid.reduce((n, s) => n + s.rows, 0);
  p.onEvent?.({
    type: 'start',
    parameters: p.parameters,
    encoderParameters: p.encoderParameters,
    stepsPerEpoch: steps,
    trainShards: index.train.length,
    validShards: index.valid.length,
    trainRows,
    validRows,
    resumed,
  });

  const source = p.openSource();
  const saveState = async () => {
    state.labelRng = rngToJson(labelRng.getState());
    state.generators = generatorStates(model);
    state.gradHolders = gradHolders(model);
    state.schedulerStep = scheduler.stepCount;
    state.lossLines = log.count;
    await saveCheckpoint(ckptPath, model, opt, state);
    p.onEvent?.({ type: 'checkpoint', epoch: state.epoch, shard: state.shard, batch: state.batch });
  };

  const flushWindow = async (epoch: number) => {
    const w = state.window;
    if (w.batches === 0) return;
    await log.append({
      kind: 'train',
      epoch,
      step: scheduler.stepCount,
      molecules: state.molecules,
      batches: w.batches,
      lr: opt.groups[0]!.lr,
      ...meanTerms(terms, w.sums, w.batches),
    });
    state.window = emptyWindow(terms);
  };

  const validate = async (): Promise<TermValues | null> => {
    if (index.valid.length === 0) return null;
    model.eval();
    // Reset every epoch: the same validation targets each epoch, so the losses compare.
    const vr = new T.Rng(mixSeed(config.seed, 0x7a11d));
    const sums = terms.map(() => 0);
    let n = 0;
    for (let s = 0; s < index.valid.length; s++) {
      const { data } = await source.load('valid', s);
      source.prefetch('valid', s + 1);
      for (let i = 0; i < data.size; i += config.batchSize) {
        const mols = Array.from({ length: Math.min(config.batchSize, data.size - i) }, (_, k) => i + k);
        const values = T.noGrad(() => T.tidy(() => p.loss(data, mols, vr).values));
        terms.forEach((k, j) => {
          sums[j]! += values[k]! * mols.length;
        });
        n += mols.length;
      }
    }
    model.train();
    return n > 0 ? meanTerms(terms, sums, n) : null;
  };

  const stop = async (epoch: number): Promise<PretrainResult> => {
    p.onEvent?.({ type: 'interrupted', epoch });
    await source.close();
    return { completed: false, summary: null };
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
      const { rows, data, invalid, cached = false } = await source.load('train', shardIdx);
      // The next shard of this epoch, or after the last one the first validation shard.
      if (sp + 1 < order.length) source.prefetch('train', order[sp + 1]!);
      else source.prefetch('valid', 0);
      p.onEvent?.({
        type: 'shard',
        epoch,
        shard: shardIdx,
        invalid,
        cached,
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
          const values = T.tidy(() => {
            p.opt.zeroGrad();
            const loss = p.loss(data, mols, labelRng);
            T.backward(loss.total);
            p.opt.step();
            return loss.values;
          });
          if (!Number.isFinite(values.total)) {
            throw new MolgroveError(
              'SHAPE',
              `pretraining diverged: loss ${values.total} at epoch ${epoch}, step ${scheduler.stepCount}`,
            );
          }
          terms.forEach((k, j) => {
            state.window.sums[j]! += values[k]!;
          });
          state.window.molecules += mols.length;
          state.epochSum += values.total * mols.length;
          state.epochCount += mols.length;
          state.molecules += mols.length;
          moleculesThisSession += mols.length;
          const secs = (performance.now() - started) / 1000;
          p.onEvent?.({
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
          (p.signal?.aborted || (config.checkpointEvery > 0 && sinceCheckpoint >= config.checkpointEvery))
        ) {
          await saveState();
          sinceCheckpoint = 0;
          if (p.signal?.aborted) return stop(epoch);
        }
      }
      state.batch = 0;
    }
    await flushWindow(epoch);
    const valid = await validate();
    const trainLoss = state.epochSum / Math.max(state.epochCount, 1);
    const validLoss = valid ? valid.total : Number.NaN;
    await log.append({
      kind: 'valid',
      epoch,
      step: scheduler.stepCount,
      molecules: state.molecules,
      ...(valid ?? {}),
    });
    state.history.push({ epoch, trainLoss, validLoss });
    // Before the checkpoint that moves past this epoch, so no epoch's file can be skipped.
    await p.writeModel({
      steps: scheduler.stepCount,
      molecules: state.molecules,
      path: join(dir, epochModelFile(epoch + 1)),
    });
    state.epoch = epoch + 1;
    state.shard = 0;
    state.batch = 0;
    state.epochSum = 0;
    state.epochCount = 0;
    await saveState();
    sinceCheckpoint = 0;
    p.onEvent?.({ type: 'epoch', epoch, trainLoss, validLoss, seconds: (performance.now() - t0) / 1000 });
    if (p.signal?.aborted && epoch + 1 < config.epochs) return stop(epoch);
  }

  const modelPath = join(dir, PRETRAINED_FILE);
  await p.writeModel({ steps: scheduler.stepCount, molecules: state.molecules, path: modelPath });
  const lastH = state.history[state.history.length - 1];
  const summary: PretrainSummary = {
    epochs: config.epochs,
    steps: scheduler.stepCount,
    parameters: p.parameters,
    encoderParameters: p.encoderParameters,
    finalTrainLoss: lastH?.trainLoss ?? Number.NaN,
    finalValidLoss: lastH?.validLoss ?? Number.NaN,
    model: modelPath,
  };
  await writeJsonAtomic(join(dir, SUMMARY_FILE), { ...summary, fingerprint });
  p.onEvent?.({ type: 'done', summary, reused: false });
  await source.close();
  return { completed: true, summary };
}
