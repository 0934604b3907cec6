/**
 * `molgrove worker --queue redis://…`: executes the runs coordinators put on RUNS_QUEUE (queue.ts),
 * `jobs` at a time, each in a worker thread (run-in-thread.ts) so that this thread stays free to
 * renew the jobs' locks, and posts each outcome to its study's results queue before completing
 * the job. A run that fails is posted as failed and not retried (the coordinator retries failed
 * runs when rerun); a run stopped by `close()` checkpoints and goes back to the queue, where this
 * or another worker resumes it. If the process dies instead, BullMQ's stalled-job check puts its
 * runs back once their locks (`lockSeconds`) expire.
 */

import { availableParallelism } from 'node:os';
import { type Job, Queue, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import { MolgroveError } from '../errors.js';
import { setNativeThreads } from '../tensor/kernels/native.js';
import { VERSION } from '../version.js';
import type { RunKind, RunProgress } from './execute.js';
import { type QueuedResult, RUNS_QUEUE, readQueuedRun, redisConnection, workerName } from './queue.js';
import { executeRunInThread } from './run-in-thread.js';

export interface QueueWorkerOptions {
  /** redis://host:port[/db] */
  readonly queue: string;
  /** Runs at once (default: one per core). */
  readonly jobs?: number;
  /** Seconds a run's lock lasts without renewal (default 30, BullMQ's). */
  readonly lockSeconds?: number;
  /** Path prefixes to rewrite, when this machine mounts the study folders elsewhere. */
  readonly map?: readonly { readonly from: string; readonly to: string }[];
  readonly onEvent?: (e: WorkerEvent) => void;
  /** Bypass the feature cache (tests). */
  readonly noCache?: boolean;
}

export type WorkerEvent =
  | { readonly type: 'ready'; readonly jobs: number; readonly threadsPerRun: number; readonly worker: string }
  | {
      readonly type: 'started' | 'requeued';
      readonly kind: RunKind;
      readonly key: string;
      readonly study: string;
      readonly attempt: number;
    }
  | RunProgress
  | {
      readonly type: 'finished';
      readonly kind: RunKind;
      readonly key: string;
      readonly study: string;
      readonly seconds: number;
      readonly metrics: Readonly<Record<string, unknown>>;
    }
  | {
      readonly type: 'failed';
      readonly kind: RunKind;
      readonly key: string;
      readonly study: string;
      readonly error: string;
    }
  | { readonly type: 'warning'; readonly message: string };

export interface QueueWorker {
  /** Stops taking runs; running ones checkpoint and go back to the queue. */
  close(): Promise<void>;
}

/** Rewrites the first matching prefix. */
export function mapPath(path: string, map: QueueWorkerOptions['map'] = []): string {
  for (const { from, to } of map)
    if (path === from || path.startsWith(`${from}/`)) return to + path.slice(from.length);
  return path;
}

const errorText = (e: unknown) =>
  e instanceof MolgroveError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);

export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const connection = redisConnection(options.queue);
  const jobs = Math.max(1, Math.floor(options.jobs ?? availableParallelism()));
  const threadsPerRun = Math.max(1, Math.floor(availableParallelism() / jobs));
  setNativeThreads(threadsPerRun);
  const emit = options.onEvent ?? (() => undefined);
  const me = workerName();
  const closing = new AbortController();
  const resultQueues = new Map<string, Queue<QueuedResult>>();
  const post = (name: string, msg: QueuedResult, jobId?: string) => {
    let q = resultQueues.get(name);
    if (q === undefined) {
      q = new Queue<QueuedResult>(name, { connection });
      resultQueues.set(name, q);
    }
    return q.add(msg.type, msg, {
      ...(jobId === undefined ? {} : { jobId }),
      removeOnComplete: true,
      removeOnFail: false,
    });
  };
  const warned = new Set<string>();

  const processor = async (job: Job, token?: string) => {
    const data = readQueuedRun(job.data, job.id);
    const { kind, run } = data.job;
    const study = data.studyName;
    if (data.molgrove !== VERSION && !warned.has(data.molgrove)) {
      warned.add(data.molgrove);
      emit({
        type: 'warning',
        message: `runs queued by molgrove ${data.molgrove}; this worker is ${VERSION}`,
      });
    }
    const attempt = job.attemptsStarted;
    emit({ type: 'started', kind, key: run.key, study, attempt });
    let outcome: Awaited<ReturnType<typeof executeRunInThread>>;
    try {
      outcome = await executeRunInThread(
        data.job,
        {
          out: mapPath(data.out, options.map),
          baseDir: mapPath(data.baseDir, options.map),
          studyName: study,
          signal: closing.signal,
          onEvent: emit,
          ...(options.noCache ? { noCache: true } : {}),
        },
        { threads: threadsPerRun },
      );
    } catch (e) {
      if (!closing.signal.aborted) {
        const error = errorText(e);
        await post(data.resultsQueue, { type: 'failed', kind, key: run.key, error, worker: me });
        emit({ type: 'failed', kind, key: run.key, study, error });
        throw new UnrecoverableError(error);
      }
      outcome = null;
    }
    if (outcome === null) {
      // Stopped by close(): checkpointed; back to the queue for this or another worker.
      await job.moveToWait(token);
      emit({ type: 'requeued', kind, key: run.key, study, attempt });
      throw new WaitingError();
    }
    // Posted before the job completes: a worker dying in between leaves the job to run again
    // (resuming from its finished checkpoint) and the store records the key once.
    await post(
      data.resultsQueue,
      { type: 'finished', kind, key: run.key, config: run.config, outcome, worker: me },
      job.id,
    );
    emit({ type: 'finished', kind, key: run.key, study, seconds: outcome.seconds, metrics: outcome.metrics });
    return { seconds: outcome.seconds };
  };

  const lockDuration = Math.round((options.lockSeconds ?? 30) * 1000);
  const worker = new Worker(RUNS_QUEUE, processor, {
    connection,
    concurrency: jobs,
    lockDuration,
    stalledInterval: Math.max(500, Math.round(lockDuration / 2)),
    // A run may be caught by several dying workers in turn before one finishes it.
    maxStalledCount: 5,
  });
  worker.on('error', (e) => emit({ type: 'warning', message: `queue: ${e.message}` }));
  await worker.waitUntilReady();
  emit({ type: 'ready', jobs, threadsPerRun, worker: me });
  return {
    async close() {
      // Stop fetching first, then stop the running runs: close() waits for them to requeue.
      const closed = worker.close();
      closing.abort();
      await closed;
      for (const q of resultQueues.values()) await q.close();
    },
  };
}
