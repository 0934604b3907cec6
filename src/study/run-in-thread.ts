// One study run in a worker thread (run-thread.ts), with the same contract as executeRun: the
// outcome, null when stopped by the signal, or the run's error (rebuilt with its code).

import { Worker } from 'node:worker_threads';
import { MolgroveError } from '../errors.js';
import { reviveError, type WorkerError } from '../train/seed-pool.js';
import type { RunContext, RunJob, RunOutcome, RunProgress } from './execute.js';

export interface RunThreadInput {
  readonly job: RunJob;
  readonly context: Omit<RunContext, 'signal' | 'onEvent'>;
}

export type ToRunThread = { readonly type: 'abort' };

export type FromRunThread =
  | { readonly type: 'event'; readonly event: RunProgress }
  | { readonly type: 'outcome'; readonly outcome: RunOutcome | null }
  | { readonly type: 'error'; readonly error: WorkerError };

export interface RunThreadOptions {
  /** Kernel threads the run may use (MOLGROVE_THREADS of the thread; the pool is per process). */
  readonly threads?: number;
}

export function executeRunInThread(
  job: RunJob,
  context: RunContext,
  options: RunThreadOptions = {},
): Promise<RunOutcome | null> {
  const { signal, onEvent, ...plain } = context;
  const input: RunThreadInput = { job, context: plain };
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./run-thread.js', import.meta.url), {
      workerData: input,
      env: { ...process.env, MOLGROVE_THREADS: String(options.threads ?? 1) },
    });
    let settled = false;
    const settle = (f: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', abort);
      f();
    };
    const abort = (): void => w.postMessage({ type: 'abort' } satisfies ToRunThread);
    if (signal?.aborted) abort();
    else signal?.addEventListener('abort', abort);
    w.on('message', (msg: FromRunThread) => {
      if (msg.type === 'event') onEvent?.(msg.event);
      else if (msg.type === 'outcome') settle(() => resolve(msg.outcome));
      else settle(() => reject(reviveError(msg.error)));
    });
    w.on('error', (err) => settle(() => reject(err)));
    w.on('exit', (code) =>
      settle(() =>
        reject(new MolgroveError('IO', `study run thread exited with code ${code} before its outcome`)),
      ),
    );
  });
}
