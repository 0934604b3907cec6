/**
 * The local study runner: every pending pretraining of a plan (plan.ts), one after the other with
 * the engine's threads, then every pending fine-tune, each recorded once in the study's results
 * store (store.ts) as it finishes. Runs execute as execute.ts says (folders under `out`, resuming
 * from checkpoints), so a killed study rerun skips what the store holds and continues interrupted
 * runs from their folders; a run whose result is already recorded is never started again.
 *
 * Fine-tunes run `jobs` at a time, each in a worker thread with single-threaded kernels
 * (run-in-thread.ts), or with jobs = 1 in this thread with the engine's threads. DEFAULT_JOBS records which was faster on a two-core machine (see there).
 * An abort (signal) stops cleanly: running fine-tunes finish their epoch and checkpoint, a
 * pretraining checkpoints after its batch, and whatever finished is recorded first.
 * Nothing here prints: progress goes out as typed events (StudyEvent).
 */

import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, MolgroveError } from '../errors.js';
import { nativeInfo, setNativeThreads } from '../tensor/kernels/native.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { pretrainLabel } from './estimate.js';
import {
  attemptsBefore,
  executeRun,
  type RunJob,
  type RunKind,
  type RunOutcome,
  type RunProgress,
  runDir,
} from './execute.js';
import type { PlannedFinetune, StudyPlan } from './plan.js';
import { executeRunInThread } from './run-in-thread.js';
import { ResultStore } from './store.js';

export type { RunKind } from './execute.js';

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
      /**
       * Fine-tunes in worker threads ('workers', jobs > 1), in this thread ('threads'), or by
       * `molgrove worker`s through a queue ('queue', queue-runner.ts; jobs 0).
       */
      readonly mode: 'workers' | 'threads' | 'queue';
    }
  | { readonly type: 'skipped'; readonly kind: RunKind; readonly key: string; readonly label: string }
  /** Put on the queue for workers (queue-runner.ts). */
  | { readonly type: 'queued'; readonly kind: RunKind; readonly key: string; readonly label: string }
  | ({
      readonly type: 'started';
      readonly kind: RunKind;
      readonly key: string;
      readonly label: string;
      readonly dir: string;
      /** Seconds of earlier, interrupted attempts (0: a fresh start). */
      readonly resumedAfter: number;
    } & StudyCounts)
  | RunProgress
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

const errorText = (e: unknown) =>
  e instanceof MolgroveError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);

export function finetuneLabel(f: PlannedFinetune): string {
  const axes = Object.entries(f.axes).map(
    ([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`,
  );
  return [f.dataset, `seed ${f.seed}`, ...axes].join(' ');
}

/** Throughput in this session: runs finished over the wall time since the phase began. */
export class Pace {
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

/** What a runner starts from: the runs left, how many are done, and the 'plan' event saying so. */
export function startCounts(
  plan: StudyPlan,
  store: ResultStore,
  jobs: number,
  mode: 'workers' | 'threads' | 'queue',
) {
  const pending = store.pending(plan);
  const total = plan.pretrains.length + plan.finetunes.length;
  const skipped = total - pending.pretrains.length - pending.finetunes.length;
  const event: StudyEvent = {
    type: 'plan',
    pretrains: { done: plan.pretrains.length - pending.pretrains.length, total: plan.pretrains.length },
    finetunes: { done: plan.finetunes.length - pending.finetunes.length, total: plan.finetunes.length },
    jobs,
    mode,
  };
  return { pending, total, skipped, event };
}

/** Runs (or resumes) every pending run of the plan; see the file comment. */
export async function runStudy(plan: StudyPlan, options: RunStudyOptions): Promise<StudyOutcome> {
  const out = resolve(options.out);
  const store = await ResultStore.open(out);
  const jobs = Math.max(1, Math.floor(options.jobs ?? DEFAULT_JOBS()));
  const emit = options.onEvent ?? (() => undefined);
  const signal = options.signal;
  const { pending, total, skipped, event } = startCounts(plan, store, jobs, jobs > 1 ? 'workers' : 'threads');
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

  emit(event);
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

  const context = {
    out,
    baseDir: plan.study.baseDir,
    studyName: plan.study.name,
    ...(signal ? { signal } : {}),
    onEvent: emit,
    ...(options.noCache ? { noCache: true } : {}),
  };
  /** Runs one run: started → finished (recorded) | failed | interrupted (false). */
  const attempt = async (
    job: RunJob,
    label: string,
    execute: (job: RunJob) => Promise<RunOutcome | null>,
  ): Promise<boolean> => {
    const { kind } = job;
    const { key, config } = job.run;
    emit({
      type: 'started',
      kind,
      key,
      label,
      dir: runDir(out, kind, key),
      resumedAfter: attemptsBefore(out, kind, key),
      ...counts(),
    });
    try {
      const r = await execute(job);
      if (r === null) return false;
      await store.record({ key, kind, config, ...r });
      recorded++;
      done++;
      left[kind]--;
      paces[kind].tick();
      emit({
        type: 'finished',
        kind,
        key,
        label,
        seconds: r.seconds,
        metrics: r.metrics,
        etaSeconds: eta(),
        ...counts(),
      });
      return true;
    } catch (e) {
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
    await attempt({ kind: 'pretrain', run: p }, pretrainLabel(p).replace(/^pretrain /, ''), (job) =>
      executeRun(job, context),
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
        await attempt({ kind: 'finetune', run }, finetuneLabel(run), (job) =>
          workers ? executeRunInThread(job, context) : executeRun(job, context),
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
