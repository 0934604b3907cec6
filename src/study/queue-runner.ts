/**
 * The distributed runner (`molgrove study run --queue redis://…`): enqueues the plan's pending runs
 * on RUNS_QUEUE for `molgrove worker`s anywhere, and records their outcomes from the study's results
 * queue as the store's single writer (queue.ts says why). A fine-tune is enqueued once its
 * pretraining is recorded; pretrainings and from-scratch fine-tunes at once.
 *
 * Rerunning it resumes: recorded runs are skipped, a run whose job exists is not enqueued again (a
 * failed one is retried), and outcomes posted while no coordinator ran are recorded first thing.
 * Stopping it (signal) leaves the queued runs to the workers; their outcomes wait for the next run.
 * Runs of a worker that dies go back to the queue when their lock expires (BullMQ's stalled-job
 * check), and resume from the checkpoints in their folders.
 */

import { resolve } from 'node:path';
import { type Job, Queue, Worker } from 'bullmq';
import { VERSION } from '../version.js';
import { pretrainLabel } from './estimate.js';
import type { RunJob, RunKind } from './execute.js';
import type { PlannedFinetune, StudyPlan } from './plan.js';
import {
  checkRedis,
  QUEUED_RUN_FORMAT,
  QUEUED_RUN_VERSION,
  type QueuedResult,
  type QueuedRun,
  RUNS_QUEUE,
  redisConnection,
  resultsQueueName,
  runJobId,
} from './queue.js';
import { finetuneLabel, Pace, type StudyEvent, type StudyOutcome, startCounts } from './runner.js';
import { ResultStore } from './store.js';

export interface QueueStudyOptions {
  readonly out: string;
  /** redis://host:port[/db] */
  readonly queue: string;
  readonly signal?: AbortSignal;
  readonly onEvent?: (e: StudyEvent) => void;
}

export async function runStudyOnQueue(plan: StudyPlan, options: QueueStudyOptions): Promise<StudyOutcome> {
  const out = resolve(options.out);
  await checkRedis(options.queue);
  const connection = redisConnection(options.queue);
  const store = await ResultStore.open(out);
  const emit = options.onEvent ?? (() => undefined);
  const { pending, total, skipped, event } = startCounts(plan, store, 0, 'queue');
  let done = skipped;
  let recorded = 0;
  const failed: { kind: RunKind; key: string; error: string }[] = [];
  const counts = () => ({ done, total });
  emit(event);

  const labels = new Map<string, string>();
  for (const p of plan.pretrains) labels.set(p.key, pretrainLabel(p).replace(/^pretrain /, ''));
  for (const f of plan.finetunes) labels.set(f.key, finetuneLabel(f));
  /** Planned runs not recorded or failed yet. */
  const outstanding = new Set<string>([...pending.pretrains, ...pending.finetunes].map((r) => r.key));
  /** Fine-tunes waiting for their pretraining, by its key. */
  const waiting = new Map<string, PlannedFinetune[]>();
  // Over every kind at once: on a queue, pretrainings and fine-tunes overlap.
  const pace = new Pace();
  pace.begin();
  const eta = (): number | null => {
    const per = pace.perRun();
    return per === null ? null : per * outstanding.size;
  };

  const runs = new Queue(RUNS_QUEUE, { connection });
  const resultsName = resultsQueueName(out);
  const enqueue = async (job: RunJob): Promise<void> => {
    const id = runJobId(out, job.kind, job.run.key);
    const existing = await runs.getJob(id);
    if (existing !== undefined) {
      // Queued, running or finished with its outcome on the way: leave it; failed: try again.
      if ((await existing.getState()) === 'failed') await existing.retry('failed');
      return;
    }
    const data: QueuedRun = {
      format: QUEUED_RUN_FORMAT,
      formatVersion: QUEUED_RUN_VERSION,
      molgrove: VERSION,
      out,
      baseDir: plan.study.baseDir,
      studyName: plan.study.name,
      resultsQueue: resultsName,
      job,
    };
    await runs.add(job.kind, data, {
      jobId: id,
      attempts: 1,
      removeOnComplete: false,
      removeOnFail: false,
      // Pretrainings first: fine-tunes from scratch must not hold the workers while they wait.
      priority: job.kind === 'pretrain' ? 1 : 2,
    });
    emit({ type: 'queued', kind: job.kind, key: job.run.key, label: labels.get(job.run.key) ?? job.run.key });
  };
  const failDependents = (pretrainKey: string): void => {
    for (const f of waiting.get(pretrainKey) ?? []) {
      const error = `its pretraining ${pretrainKey} failed`;
      outstanding.delete(f.key);
      failed.push({ kind: 'finetune', key: f.key, error });
      emit({ type: 'failed', kind: 'finetune', key: f.key, label: finetuneLabel(f), error, ...counts() });
    }
    waiting.delete(pretrainKey);
  };

  let finish: () => void = () => undefined;
  const allDone = new Promise<void>((r) => {
    finish = r;
  });
  const settleIfDone = () => {
    if (outstanding.size === 0) finish();
  };

  const onResult = async (msg: QueuedResult): Promise<void> => {
    const label = labels.get(msg.key) ?? msg.key;
    if (msg.type === 'failed') {
      if (!outstanding.delete(msg.key)) return;
      failed.push({ kind: msg.kind, key: msg.key, error: `${msg.error} (worker ${msg.worker})` });
      emit({ type: 'failed', kind: msg.kind, key: msg.key, label, error: msg.error, ...counts() });
      if (msg.kind === 'pretrain') failDependents(msg.key);
      return settleIfDone();
    }
    const { outcome } = msg;
    const isNew = await store.record({
      key: msg.key,
      kind: msg.kind,
      config: msg.config,
      ...outcome,
      info: { ...outcome.info, worker: msg.worker },
    });
    if (isNew) recorded++;
    if (outstanding.delete(msg.key)) {
      done++;
      pace.tick();
      emit({
        type: 'finished',
        kind: msg.kind,
        key: msg.key,
        label,
        seconds: outcome.seconds,
        metrics: outcome.metrics,
        etaSeconds: eta(),
        ...counts(),
      });
    }
    if (msg.kind === 'pretrain') {
      const ready = waiting.get(msg.key) ?? [];
      waiting.delete(msg.key);
      for (const f of ready) await enqueue({ kind: 'finetune', run: f });
    }
    settleIfDone();
  };

  const results = new Worker(resultsName, async (job: Job<QueuedResult>) => onResult(job.data), {
    connection,
    concurrency: 1,
    autorun: false,
  });
  const resultQueue = new Queue(resultsName, { connection });
  const stop = () => finish();
  options.signal?.addEventListener('abort', stop);
  try {
    // A message whose recording failed in an earlier run (disk full?) is tried again.
    for (const j of await resultQueue.getFailed()) await j.retry();
    for (const f of pending.finetunes) {
      if (f.pretrain === null || store.has(f.pretrain)) continue;
      const list = waiting.get(f.pretrain) ?? [];
      list.push(f);
      waiting.set(f.pretrain, list);
    }
    for (const p of pending.pretrains) await enqueue({ kind: 'pretrain', run: p });
    for (const f of pending.finetunes)
      if (f.pretrain === null || store.has(f.pretrain)) await enqueue({ kind: 'finetune', run: f });
    // Fine-tunes waiting on a pretraining the plan no longer has cannot run.
    for (const key of [...waiting.keys()])
      if (!plan.pretrains.some((p) => p.key === key)) failDependents(key);
    settleIfDone();
    void results.run();
    await allDone;
  } finally {
    options.signal?.removeEventListener('abort', stop);
    await results.close();
    await resultQueue.close();
    await runs.close();
  }
  const interrupted = options.signal?.aborted === true && outstanding.size > 0;
  if (interrupted) emit({ type: 'interrupted', ...counts() });
  return { completed: done === total, interrupted, recorded, skipped, failed, store };
}
