/**
 * The local study runner: every pending pretraining of a plan (plan.ts), one after the other with
 * the engine's threads, then every pending fine-tune, each recorded once in the study's results
 * store (store.ts) as it finishes. Folders under `out`:
 * - `pretrain/<key>/`: a pretraining (pretrain/sequence.ts: stage folders, pretrained.mgv);
 * - `finetune/<key>/`: a fine-tune (config.json with `from`, seed-<s>/ as train/finetune.ts);
 * - `shards/<hash>/`: the shards of a pretraining input, shared by pretrainings that read it alike.
 * Both trainers checkpoint and resume, so a killed study rerun skips what the store holds and
 * continues interrupted runs from their folders; a run whose result is already recorded is never
 * started again. Each run's folder keeps `elapsed.json` (seconds of earlier attempts) so the
 * recorded seconds of a resumed run cover all its attempts.
 *
 * Fine-tunes run `jobs` at a time, each in a worker thread with single-threaded kernels (the seed
 * pool of train/seed-pool.ts, one seed per fine-tune), or with jobs = 1 in this thread with the
 * engine's threads. DEFAULT_JOBS records which was faster on a two-core machine (see there).
 * An abort (signal) stops cleanly: running fine-tunes finish their epoch and checkpoint, a
 * pretraining checkpoints after its batch, and whatever finished is recorded first.
 * Nothing here prints: progress goes out as typed events (StudyEvent).
 */

import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { isRegisteredDataset } from '../data/registry.js';
import { ConfigError, MolgroveError } from '../errors.js';
import { PRETRAINED_FILE, type PretrainEvent } from '../pretrain/loop.js';
import { pretrainSequence, type SequenceStage } from '../pretrain/sequence.js';
import { prepareShards, type ShardIndex, type ShardOptions } from '../pretrain/shards.js';
import { nativeInfo, setNativeThreads } from '../tensor/kernels/native.js';
import { type FinetuneConfig, FinetuneConfigSchema } from '../train/config.js';
import type { SeedResult, TrainEvent } from '../train/events.js';
import { prepareRun, runSeed } from '../train/finetune.js';
import { runSeedsInWorkers } from '../train/seed-pool.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { pretrainLabel } from './estimate.js';
import { runKey } from './keys.js';
import { type PlannedFinetune, type PlannedPretrain, resolveStudyInput, type StudyPlan } from './plan.js';
import { ResultStore } from './store.js';

export type RunKind = 'pretrain' | 'finetune';

/** Finished (recorded, skipped included) out of all, over both kinds. */
export interface StudyCounts {
  readonly done: number;
  readonly total: number;
}

export type StudyEvent =
  | {
      readonly type: 'plan';
      readonly pretrains: { readonly done: number; readonly total: number };
      readonly finetunes: { readonly done: number; readonly total: number };
      readonly jobs: number;
      /** Fine-tunes in worker threads ('workers', jobs > 1) or in this thread ('threads'). */
      readonly mode: 'workers' | 'threads';
    }
  | { readonly type: 'skipped'; readonly kind: RunKind; readonly key: string; readonly label: string }
  | ({
      readonly type: 'started';
      readonly kind: RunKind;
      readonly key: string;
      readonly label: string;
      readonly dir: string;
      /** Seconds of earlier, interrupted attempts (0: a fresh start). */
      readonly resumedAfter: number;
    } & StudyCounts)
  | {
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
  | ({
      readonly type: 'finished';
      readonly kind: RunKind;
      readonly key: string;
      readonly label: string;
      readonly seconds: number;
      readonly metrics: Readonly<Record<string, unknown>>;
      /** Seconds left at the throughput measured so far in this session (null: nothing to go by). */
      readonly etaSeconds: number | null;
    } & StudyCounts)
  | ({
      readonly type: 'failed';
      readonly kind: RunKind;
      readonly key: string;
      readonly label: string;
      readonly error: string;
    } & StudyCounts)
  | ({ readonly type: 'interrupted' } & StudyCounts);

export interface RunStudyOptions {
  /** The study folder (results store, run folders, study.json is the CLI's). */
  readonly out: string;
  /** Fine-tunes at once (default DEFAULT_JOBS()); 1 runs them in this thread with the engine's threads. */
  readonly jobs?: number;
  readonly signal?: AbortSignal;
  readonly onEvent?: (e: StudyEvent) => void;
  /** Bypass the feature cache (tests). */
  readonly noCache?: boolean;
}

export interface StudyOutcome {
  /** Every planned run is in the store. */
  readonly completed: boolean;
  readonly interrupted: boolean;
  /** Runs recorded by this call. */
  readonly recorded: number;
  /** Runs already in the store when it started. */
  readonly skipped: number;
  readonly failed: readonly { readonly kind: RunKind; readonly key: string; readonly error: string }[];
  readonly store: ResultStore;
}

/**
 * Fine-tunes at once by default: one per core, each in a worker thread. Measured on this 2-core
 * machine while other jobs shared it (load 3–4), bace, scaffold + random splits, wall time of the
 * fine-tune phase, 2 workers vs one at a time with the engine's 2 threads: GIN 128 × 3, 3 epochs,
 * 4 fine-tunes 22.0 s vs 22.5 s; GIN 64 × 3, 5 epochs, 4 fine-tunes 17.4 s vs 17.6 s; GIN 32 × 2,
 * 3 epochs, 8 fine-tunes 26.0 / 19.1 s vs 17.4 / 19.5 s (two rounds; overhead-bound: each worker
 * loads RDKit and the cached features, about 1 s). A near tie under load; workers win slightly once
 * a fine-tune lasts more than a few seconds, as for seeds (finetune.ts defaultJobs), and do not
 * depend on the kernels' threading. `--jobs 1` picks the other mode.
 */
export function DEFAULT_JOBS(): number {
  return Math.max(1, availableParallelism());
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

const errorText = (e: unknown) =>
  e instanceof MolgroveError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);

export function finetuneLabel(f: PlannedFinetune): string {
  const axes = Object.entries(f.axes).map(
    ([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`,
  );
  return [f.dataset, `seed ${f.seed}`, ...axes].join(' ');
}

/** Throughput of one kind in this session: runs finished over the wall time since its phase began. */
class Pace {
  private start = 0;
  private runs = 0;
  begin(): void {
    this.start = performance.now();
  }
  tick(): void {
    this.runs++;
  }
  /** Seconds per run (wall clock, so parallel runs count as they overlap), or null. */
  perRun(): number | null {
    return this.runs === 0 ? null : (performance.now() - this.start) / 1000 / this.runs;
  }
}

/** Runs (or resumes) every pending run of the plan; see the file comment. */
export async function runStudy(plan: StudyPlan, options: RunStudyOptions): Promise<StudyOutcome> {
  const out = resolve(options.out);
  const store = await ResultStore.open(out);
  const jobs = Math.max(1, Math.floor(options.jobs ?? DEFAULT_JOBS()));
  const emit = options.onEvent ?? (() => undefined);
  const signal = options.signal;
  const pending = store.pending(plan);
  const total = plan.pretrains.length + plan.finetunes.length;
  const skipped = total - pending.pretrains.length - pending.finetunes.length;
  let done = skipped;
  let recorded = 0;
  const failed: { kind: RunKind; key: string; error: string }[] = [];
  const counts = () => ({ done, total });
  const paces = { pretrain: new Pace(), finetune: new Pace() };
  const left = { pretrain: pending.pretrains.length, finetune: pending.finetunes.length };
  const eta = (): number | null => {
    let s = 0;
    for (const kind of ['pretrain', 'finetune'] as const) {
      if (left[kind] === 0) continue;
      const per = paces[kind].perRun();
      if (per === null) return null;
      s += per * left[kind];
    }
    return s;
  };

  emit({
    type: 'plan',
    pretrains: { done: plan.pretrains.length - pending.pretrains.length, total: plan.pretrains.length },
    finetunes: { done: plan.finetunes.length - pending.finetunes.length, total: plan.finetunes.length },
    jobs,
    mode: jobs > 1 ? 'workers' : 'threads',
  });
  for (const p of plan.pretrains)
    if (store.has(p.key))
      emit({
        type: 'skipped',
        kind: 'pretrain',
        key: p.key,
        label: pretrainLabel(p).replace(/^pretrain /, ''),
      });
  for (const f of plan.finetunes)
    if (store.has(f.key)) emit({ type: 'skipped', kind: 'finetune', key: f.key, label: finetuneLabel(f) });

  /** Runs one run: started → finished (recorded) | failed | interrupted (false). */
  const attempt = async (
    kind: RunKind,
    key: string,
    label: string,
    config: unknown,
    work: (dir: string) => Promise<{ metrics: Record<string, unknown>; extra?: object } | null>,
  ): Promise<boolean> => {
    const dir = runDir(out, kind, key);
    await mkdir(dir, { recursive: true });
    const before = elapsedBefore(dir);
    emit({ type: 'started', kind, key, label, dir, resumedAfter: before, ...counts() });
    const t0 = performance.now();
    const seconds = () => before + (performance.now() - t0) / 1000;
    try {
      const r = await work(dir);
      if (r === null) {
        await writeJsonAtomic(join(dir, ELAPSED_FILE), { seconds: seconds() });
        return false;
      }
      const s = seconds();
      await store.record({
        key,
        kind,
        config,
        metrics: r.metrics,
        seconds: s,
        ...r.extra,
        info: { dir: relative(out, dir) },
      });
      recorded++;
      done++;
      left[kind]--;
      paces[kind].tick();
      emit({
        type: 'finished',
        kind,
        key,
        label,
        seconds: s,
        metrics: r.metrics,
        etaSeconds: eta(),
        ...counts(),
      });
      return true;
    } catch (e) {
      await writeJsonAtomic(join(dir, ELAPSED_FILE), { seconds: seconds() }).catch(() => undefined);
      // An abort surfaces as the trainers' "interrupted" error: a clean stop, not a failure.
      if (signal?.aborted) return false;
      failed.push({ kind, key, error: errorText(e) });
      left[kind]--;
      emit({ type: 'failed', kind, key, label, error: errorText(e), ...counts() });
      return false;
    }
  };

  paces.pretrain.begin();
  for (const p of pending.pretrains) {
    if (signal?.aborted) break;
    await attempt('pretrain', p.key, pretrainLabel(p).replace(/^pretrain /, ''), p.config, (dir) =>
      runPretrain(p, dir, plan, out, options),
    );
  }

  const ready: PlannedFinetune[] = [];
  for (const f of pending.finetunes) {
    // Locally every pretraining ran above; one that is not recorded failed (or was interrupted).
    if (f.pretrain !== null && !store.has(f.pretrain)) {
      if (signal?.aborted) continue;
      const error = `its pretraining ${f.pretrain} did not finish`;
      failed.push({ kind: 'finetune', key: f.key, error });
      left.finetune--;
      emit({ type: 'failed', kind: 'finetune', key: f.key, label: finetuneLabel(f), error, ...counts() });
    } else ready.push(f);
  }

  paces.finetune.begin();
  const workers = jobs > 1;
  // Worker threads take one kernel thread each (the pool is per process): pin it for the phase so
  // that the seed pools' own save/restore, overlapping here, cannot hand a worker all the threads.
  const threadsBefore = nativeInfo()?.threads;
  if (workers && ready.length > 0) setNativeThreads(1);
  try {
    const queue = [...ready];
    const lane = async () => {
      for (let f = queue.shift(); f !== undefined && !signal?.aborted; f = queue.shift()) {
        const run = f;
        await attempt('finetune', run.key, finetuneLabel(run), run.config, (dir) =>
          runFinetune(run, dir, out, workers, options, emit),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(jobs, Math.max(1, ready.length)) }, lane));
  } finally {
    if (workers && threadsBefore !== undefined) setNativeThreads(threadsBefore);
  }

  const interrupted = signal?.aborted === true && done < total;
  if (interrupted) emit({ type: 'interrupted', ...counts() });
  return { completed: done === total, interrupted, recorded, skipped, failed, store };
}

/** Shards of one pretraining input, in a folder shared by every pretraining that reads it alike. */
async function shardsFor(
  input: string,
  exclude: readonly string[],
  plan: StudyPlan,
  pc: PlannedPretrain['config'],
  out: string,
): Promise<{ shardDir: string; index: ShardIndex }> {
  const baseDir = plan.study.baseDir;
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
  plan: StudyPlan,
  out: string,
  options: RunStudyOptions,
): Promise<{ metrics: Record<string, unknown> } | null> {
  const pc = p.config;
  const stages: SequenceStage[] = [];
  for (const s of pc.stages) {
    const { shardDir, index } = await shardsFor(s.input, s.exclude, plan, pc, out);
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
  const emit = options.onEvent;
  const res = await pretrainSequence({
    dir,
    arch: pc.arch,
    encoderOptions: pc.encoder,
    featurizer: pc.featurizer,
    stages,
    ...(options.signal ? { signal: options.signal } : {}),
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
    info: { study: plan.study.name, key: p.key },
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
  out: string,
  workers: boolean,
  options: RunStudyOptions,
  emit: (e: StudyEvent) => void,
): Promise<{ metrics: Record<string, unknown>; extra: object } | null> {
  // Through the schema: fit.ts compares checkpoint fingerprints as JSON, key order included.
  const config: FinetuneConfig =
    f.pretrain === null
      ? f.config
      : FinetuneConfigSchema.parse({ ...f.config, from: pretrainedFile(out, f.pretrain) });
  await writeJsonAtomic(join(dir, 'config.json'), config);
  const onEvent = (e: TrainEvent) => {
    if (e.type === 'epoch')
      emit({
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
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.noCache ? { noCache: true } : {}),
  };
  let result: SeedResult;
  try {
    result = workers
      ? (await runSeedsInWorkers(config, dir, 1, runOptions))[0]!
      : await runSeed(await prepareRun(config, dir, runOptions), f.seed, runOptions);
  } catch (e) {
    if (options.signal?.aborted) return null;
    throw e;
  }
  const { seed: _s, ...metrics } = result;
  return {
    metrics: { ...metrics, from: config.from === undefined ? null : relative(out, config.from) },
    extra: { pretrain: f.pretrain },
  };
}

export const STUDY_FILE = 'study.json';
export const PLAN_FILE = 'plan.json';

/**
 * Saves the study (the resolved Study as JSON, which `study report` reads back) in
 * `out/study.json` and its plan (every run, resolved config and key) in `out/plan.json`, refusing
 * a folder that holds another study (a different name). The same name with a changed grid is
 * accepted: runs are keyed by their resolved configs, so runs the two grids share are reused and
 * the others added; study.json then describes the latest grid, and the store keeps every result.
 */
export async function claimStudyFolder(out: string, plan: StudyPlan): Promise<void> {
  const path = join(out, STUDY_FILE);
  if (existsSync(path)) {
    let name: unknown;
    try {
      name = (JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown }).name;
    } catch {
      name = undefined;
    }
    if (name !== plan.study.name)
      throw new ConfigError(
        `${out} holds the study '${String(name)}' (see its ${STUDY_FILE}), not '${plan.study.name}'; choose another --out`,
      );
  }
  await writeJsonAtomic(path, plan.study);
  await writeJsonAtomic(join(out, PLAN_FILE), {
    name: plan.study.name,
    savedAt: new Date().toISOString(),
    pretrains: plan.pretrains,
    finetunes: plan.finetunes,
  });
}
