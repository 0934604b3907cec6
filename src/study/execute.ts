/**
 * One run of a study, wherever it executes (the local runner, runner.ts, in this thread or a worker
 * thread, run-thread.ts; a queue worker, queue-worker.ts): a pretraining into `out/pretrain/<key>/`
 * (pretrain/sequence.ts: stage folders, pretrained.mgv) or a fine-tune (one seed) into
 * `out/finetune/<key>/` (config.json with `from`, seed-<s>/ as train/finetune.ts), from the encoder
 * its pretraining left under the same `out`. Shards of a pretraining input go to `out/shards/<hash>/`,
 * shared by pretrainings that read it alike.
 *
 * Both trainers checkpoint and resume, so running a run again continues from its folder. Each folder
 * keeps `elapsed.json` (seconds of earlier attempts), so the seconds of a resumed run cover all its
 * attempts. Recording the outcome is the caller's: exactly one writer owns the results store.
 */

import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { isRegisteredDataset } from '../data/registry.js';
import { PRETRAINED_FILE, type PretrainEvent } from '../pretrain/loop.js';
import { pretrainSequence, type SequenceStage } from '../pretrain/sequence.js';
import { prepareShards, type ShardIndex, type ShardOptions } from '../pretrain/shards.js';
import { type FinetuneConfig, FinetuneConfigSchema } from '../train/config.js';
import type { SeedResult, TrainEvent } from '../train/events.js';
import { prepareRun, runSeed } from '../train/finetune.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { runKey } from './keys.js';
import { type PlannedFinetune, type PlannedPretrain, resolveStudyInput } from './plan.js';

export type RunKind = 'pretrain' | 'finetune';

/** A run to execute: what the plan says of it (plan.ts). */
export type RunJob =
  | { readonly kind: 'pretrain'; readonly run: PlannedPretrain }
  | { readonly kind: 'finetune'; readonly run: PlannedFinetune };

/** Progress of a run: a finished epoch. */
export interface RunProgress {
  readonly type: 'progress';
  readonly kind: RunKind;
  readonly key: string;
  readonly epoch: number;
  /** Pretraining: stage (1-based) of a sequence. */
  readonly stage?: number;
  readonly trainLoss: number;
  readonly validLoss: number;
  /** Fine-tuning: the epoch's validation score. */
  readonly valid?: number;
}

export interface RunContext {
  /** The study folder, absolute. */
  readonly out: string;
  /** Where the study's relative input paths resolve (Study.baseDir). */
  readonly baseDir: string;
  readonly studyName: string;
  readonly signal?: AbortSignal;
  readonly onEvent?: (e: RunProgress) => void;
  /** Bypass the feature cache (tests). */
  readonly noCache?: boolean;
}

/** What a finished run leaves for the results store (store.ts RunResult, less key/kind/config). */
export interface RunOutcome {
  readonly metrics: Record<string, unknown>;
  /** Seconds over every attempt. */
  readonly seconds: number;
  /** The fine-tune's pretraining key (null: from scratch); absent for pretrainings. */
  readonly pretrain?: string | null;
  /** The run's folder, relative to the study folder. */
  readonly info: { readonly dir: string };
}

/** The folder of a run under `out`. */
export function runDir(out: string, kind: RunKind, key: string): string {
  return join(out, kind, key);
}

/** The encoder file a finished pretraining leaves. */
export function pretrainedFile(out: string, key: string): string {
  return join(runDir(out, 'pretrain', key), PRETRAINED_FILE);
}

const ELAPSED_FILE = 'elapsed.json';

/** Seconds spent in earlier attempts of the run in `dir`. */
function elapsedBefore(dir: string): number {
  const path = join(dir, ELAPSED_FILE);
  if (!existsSync(path)) return 0;
  try {
    const s = (JSON.parse(readFileSync(path, 'utf8')) as { seconds?: unknown }).seconds;
    return typeof s === 'number' && Number.isFinite(s) ? s : 0;
  } catch {
    return 0;
  }
}

/**
 * Runs (or resumes) one run; null when stopped by the signal (its checkpoint and elapsed time are
 * saved). Errors are thrown, after saving the elapsed time.
 */
export async function executeRun(job: RunJob, ctx: RunContext): Promise<RunOutcome | null> {
  const dir = runDir(ctx.out, job.kind, job.run.key);
  await mkdir(dir, { recursive: true });
  const before = elapsedBefore(dir);
  const t0 = performance.now();
  const seconds = () => before + (performance.now() - t0) / 1000;
  const saveElapsed = () => writeJsonAtomic(join(dir, ELAPSED_FILE), { seconds: seconds() });
  let r: { metrics: Record<string, unknown>; extra?: { pretrain: string | null } } | null;
  try {
    r = job.kind === 'pretrain' ? await runPretrain(job.run, dir, ctx) : await runFinetune(job.run, dir, ctx);
  } catch (e) {
    await saveElapsed().catch(() => undefined);
    throw e;
  }
  if (r === null) {
    await saveElapsed();
    return null;
  }
  return { metrics: r.metrics, seconds: seconds(), ...r.extra, info: { dir: relative(ctx.out, dir) } };
}

/** Seconds of earlier attempts a run's folder records (0: a fresh start). */
export function attemptsBefore(out: string, kind: RunKind, key: string): number {
  return elapsedBefore(runDir(out, kind, key));
}

/** Shards of one pretraining input, in a folder shared by every pretraining that reads it alike. */
async function shardsFor(
  input: string,
  exclude: readonly string[],
  baseDir: string,
  pc: PlannedPretrain['config'],
  out: string,
): Promise<{ shardDir: string; index: ShardIndex }> {
  const file = await resolveStudyInput(input, baseDir);
  const shardOptions: ShardOptions = {
    shardSize: pc.shardSize,
    ...(pc.limit === null ? {} : { limit: pc.limit }),
    ...(pc.fraction === null ? {} : { fraction: pc.fraction }),
    ...(exclude.length === 0
      ? {}
      : { exclude: exclude.map((e) => (isRegisteredDataset(e) ? e : resolve(baseDir, e))) }),
  };
  const shardKey = runKey('shards', {
    input,
    limit: pc.limit,
    fraction: pc.fraction,
    shardSize: pc.shardSize,
    exclude: [...exclude],
  });
  const shardDir = join(out, 'shards', shardKey);
  return { shardDir, index: await prepareShards(file, shardDir, shardOptions) };
}

/** Runs (or resumes) a pretraining; null when stopped by the signal. */
async function runPretrain(
  p: PlannedPretrain,
  dir: string,
  ctx: RunContext,
): Promise<{ metrics: Record<string, unknown> } | null> {
  const out = ctx.out;
  const pc = p.config;
  const stages: SequenceStage[] = [];
  for (const s of pc.stages) {
    const { shardDir, index } = await shardsFor(s.input, s.exclude, ctx.baseDir, pc, out);
    stages.push({
      objective: s.objective,
      objectiveOptions: s.options,
      shardDir,
      index,
      config: {
        epochs: s.epochs,
        batchSize: s.batchSize,
        lr: s.lr,
        weightDecay: s.weightDecay,
        seed: pc.seed,
        logEvery: 20,
        checkpointEvery: 500,
      },
      encoderOptions: { dropout: s.dropout },
    });
  }
  const emit = ctx.onEvent;
  const res = await pretrainSequence({
    dir,
    arch: pc.arch,
    encoderOptions: pc.encoder,
    featurizer: pc.featurizer,
    stages,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(emit
      ? {
          onEvent: (e: PretrainEvent, stage: number) => {
            if (e.type === 'epoch')
              emit({
                type: 'progress',
                kind: 'pretrain',
                key: p.key,
                stage: stage + 1,
                epoch: e.epoch,
                trainLoss: e.trainLoss,
                validLoss: e.validLoss,
              });
          },
        }
      : {}),
    info: { study: ctx.studyName, key: p.key },
  });
  if (!res.completed) return null;
  return {
    metrics: {
      model: relative(out, join(dir, PRETRAINED_FILE)),
      stages: res.stages.map((summary, i) => {
        const index = stages[i]!.index;
        return {
          objective: pc.stages[i]!.objective,
          moleculesPerEpoch: index.train.reduce((n, s) => n + s.rows, 0),
          validMolecules: index.valid.reduce((n, s) => n + s.rows, 0),
          epochs: summary.epochs,
          steps: summary.steps,
          finalTrainLoss: summary.finalTrainLoss,
          finalValidLoss: summary.finalValidLoss,
        };
      }),
      finalTrainLoss: res.stages.at(-1)?.finalTrainLoss ?? null,
      finalValidLoss: res.stages.at(-1)?.finalValidLoss ?? null,
    },
  };
}

/** Runs (or resumes) a fine-tune (one seed) from its pretraining's encoder; null when stopped. */
async function runFinetune(
  f: PlannedFinetune,
  dir: string,
  ctx: RunContext,
): Promise<{ metrics: Record<string, unknown>; extra: object } | null> {
  const out = ctx.out;
  const emit = ctx.onEvent;
  // Through the schema: fit.ts compares checkpoint fingerprints as JSON, key order included.
  const config: FinetuneConfig =
    f.pretrain === null
      ? f.config
      : FinetuneConfigSchema.parse({ ...f.config, from: pretrainedFile(out, f.pretrain) });
  await writeJsonAtomic(join(dir, 'config.json'), config);
  const onEvent = (e: TrainEvent) => {
    if (e.type === 'epoch')
      emit?.({
        type: 'progress',
        kind: 'finetune',
        key: f.key,
        epoch: e.epoch,
        trainLoss: e.trainLoss,
        validLoss: e.validLoss,
        valid: e.valid,
      });
  };
  const runOptions = {
    onEvent,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.noCache ? { noCache: true } : {}),
  };
  let result: SeedResult;
  try {
    result = await runSeed(await prepareRun(config, dir, runOptions), f.seed, runOptions);
  } catch (e) {
    if (ctx.signal?.aborted) return null;
    throw e;
  }
  const { seed: _s, ...metrics } = result;
  return {
    metrics: { ...metrics, from: config.from === undefined ? null : relative(out, config.from) },
    extra: { pretrain: f.pretrain },
  };
}
