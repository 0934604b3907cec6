// Seeds in parallel: a pool of worker threads, each preparing the run's data once (through the
// feature cache) and training the seeds it is handed with single-threaded kernels. Events are
// forwarded to the caller's sink; an abort or a failure stops every worker after its current epoch
// (each has checkpointed), and the first error is the one reported.

import { Worker } from 'node:worker_threads';
import { MolgroveError } from '../errors.js';
import { nativeInfo, setNativeThreads } from '../tensor/kernels/native.js';
import type { FinetuneConfig } from './config.js';
import type { SeedResult, TrainEvent } from './events.js';
import type { FinetuneOptions } from './finetune.js';

/** Messages between the pool and a worker (seed-worker.ts). */
export type ToWorker =
  | {
      readonly type: 'init';
      readonly config: FinetuneConfig;
      readonly outDir: string;
      readonly noCache: boolean;
    }
  | { readonly type: 'seed'; readonly seed: number }
  | { readonly type: 'abort' };

export interface WorkerError {
  readonly name: string;
  readonly code: string | undefined;
  readonly message: string;
}

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'event'; readonly event: TrainEvent }
  | { readonly type: 'result'; readonly seed: number; readonly result: SeedResult }
  | { readonly type: 'error'; readonly error: WorkerError };

/** An error as a worker posts it: plain data, with the MolgroveError code when it has one. */
export function describeError(err: unknown): WorkerError {
  if (err instanceof MolgroveError) return { name: err.name, code: err.code, message: err.message };
  if (err instanceof Error) return { name: err.name, code: undefined, message: err.stack ?? err.message };
  return { name: 'Error', code: undefined, message: String(err) };
}

/** An error from a worker, rebuilt so the CLI maps it to the same exit code and message. */
export function reviveError(e: WorkerError): Error {
  const err =
    e.code === undefined
      ? new Error(e.message)
      : new MolgroveError(e.code as MolgroveError['code'], e.message);
  err.name = e.name;
  return err;
}

export async function runSeedsInWorkers(
  config: FinetuneConfig,
  outDir: string,
  jobs: number,
  options: FinetuneOptions,
): Promise<SeedResult[]> {
  // The native thread pool is shared by the whole process: one thread per worker, then restore.
  const nativeThreads = nativeInfo()?.threads;
  setNativeThreads(1);
  try {
    return await new Promise<SeedResult[]>((resolve, reject) => {
      const pending = [...config.seeds];
      const results = new Map<number, SeedResult>();
      const workers: Worker[] = [];
      let live = 0;
      let firstError: unknown;
      const abortAll = (): void => {
        pending.length = 0;
        for (const w of workers) w.postMessage({ type: 'abort' } satisfies ToWorker);
      };
      const fail = (err: unknown): void => {
        if (firstError === undefined) firstError = err;
        abortAll();
      };
      const finish = (w: Worker): void => {
        void w.terminate();
        if (--live > 0) return;
        options.signal?.removeEventListener('abort', abortAll);
        if (firstError !== undefined) reject(firstError);
        else if (results.size < config.seeds.length)
          reject(new MolgroveError('INTERRUPTED', 'interrupted before every seed ran; rerun to resume'));
        else resolve(config.seeds.map((s) => results.get(s)!));
      };
      if (options.signal?.aborted) pending.length = 0;
      options.signal?.addEventListener('abort', abortAll);
      for (let i = 0; i < jobs; i++) {
        const w = new Worker(new URL('./seed-worker.js', import.meta.url), {
          env: { ...process.env, MOLGROVE_THREADS: '1' },
        });
        workers.push(w);
        live++;
        let done = false;
        const stop = (): void => {
          if (done) return;
          done = true;
          finish(w);
        };
        const feed = (): void => {
          const seed = pending.shift();
          if (seed === undefined) stop();
          else w.postMessage({ type: 'seed', seed } satisfies ToWorker);
        };
        w.on('message', (msg: FromWorker) => {
          switch (msg.type) {
            case 'ready':
              return feed();
            case 'event':
              return options.onEvent?.(msg.event);
            case 'result':
              results.set(msg.seed, msg.result);
              return done ? undefined : feed();
            case 'error':
              fail(reviveError(msg.error));
              return stop();
          }
        });
        w.on('error', (err) => {
          fail(err);
          stop();
        });
        w.on('exit', (code) => {
          if (!done && code !== 0) fail(new MolgroveError('IO', `seed worker exited with code ${code}`));
          stop();
        });
        w.postMessage({ type: 'init', config, outDir, noCache: options.noCache ?? false } satisfies ToWorker);
      }
    });
  } finally {
    if (nativeThreads !== undefined) setNativeThreads(nativeThreads);
  }
}
