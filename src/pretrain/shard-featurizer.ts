// Shards featurized on a worker thread, ahead of need: while the trainer works through one shard
// the next is already being featurized, so featurization overlaps the (largely single-threaded)
// training step instead of stopping it. Shared by every pretraining trainer; each brings its own
// worker script, which receives `init` first, then jobs `{id, rows, smiles}`, and answers
// `{id, packed}` or `{id, error}` (and once `{ready: true}`).

import { Worker } from 'node:worker_threads';
import { MolgroveError } from '../errors.js';
import type { LoadedShard, ShardSource } from './loop.js';
import type { ShardCache } from './shard-cache.js';
import { readShard, type ShardIndex, type ShardRows } from './shards.js';

export class WorkerShardFeaturizer<P> {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (p: P) => void; reject: (e: Error) => void }>();
  private readonly ahead = new Map<string, Promise<P>>();
  private nextId = 0;

  constructor(script: URL, init: unknown) {
    this.worker = new Worker(script);
    this.worker.on('message', (m: { ready?: boolean; id?: number; packed?: P; error?: string }) => {
      if (m.ready || m.id === undefined) return;
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (this.pending.size === 0) this.worker.unref();
      if (m.packed) p?.resolve(m.packed);
      else p?.reject(new MolgroveError('IO', `shard featurization failed: ${m.error ?? 'no result'}`));
    });
    this.worker.on('error', (e) => this.failAll(e));
    this.worker.on('exit', (code) => {
      if (code !== 0)
        this.failAll(new MolgroveError('IO', `shard featurization worker exited with code ${code}`));
    });
    // Idle, the worker must not keep a finished (or failed) run alive; busy, it must.
    this.worker.unref();
    this.worker.postMessage(init);
  }

  /** Starts featurizing `rows` under `key` unless that is under way already. */
  prefetch(key: string, rows: () => Promise<ShardRows>): void {
    if (this.ahead.has(key)) return;
    const job = rows().then(
      (r) =>
        new Promise<P>((resolve, reject) => {
          const id = this.nextId++;
          this.pending.set(id, { resolve, reject });
          this.worker.ref();
          this.worker.postMessage({ id, rows: r.rows, smiles: r.smiles });
        }),
    );
    // A prefetch nobody awaits must not surface as an unhandled rejection.
    job.catch(() => {});
    this.ahead.set(key, job);
  }

  /** The featurized shard `key` (started now if it was not prefetched). */
  get(key: string, rows: () => Promise<ShardRows>): Promise<P> {
    this.prefetch(key, rows);
    const job = this.ahead.get(key)!;
    this.ahead.delete(key);
    return job;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}

/**
 * The loop's shard source: shard files read from `shardDir`, featurized on the worker `worker()`
 * starts (on first need, with prefetch) or, without one, by `featurize` on this thread, and opened by
 * `open`. With a `cache` (shard-cache.ts), a shard featurized once is read back from it afterwards;
 * what was featurized is written there by this thread, in the background.
 */
export function shardSource<P, D>(o: {
  readonly shardDir: string;
  readonly index: ShardIndex;
  readonly worker: (() => WorkerShardFeaturizer<P>) | null;
  readonly featurize: (rows: ShardRows) => Promise<P>;
  readonly open: (packed: P) => { readonly data: D; readonly invalid: number };
  readonly cache?: ShardCache<P> | null;
}): ShardSource<D> {
  const infos = (kind: 'train' | 'valid') => (kind === 'train' ? o.index.train : o.index.valid);
  const shardRows = (kind: 'train' | 'valid', i: number) => () => readShard(o.shardDir, infos(kind)[i]!);
  let worker: WorkerShardFeaturizer<P> | undefined;
  const startWorker = (make: () => WorkerShardFeaturizer<P>) => {
    worker ??= make();
    return worker;
  };
  return {
    prefetch(kind, i) {
      const name = `${kind}-${i}`;
      if (o.worker && i < infos(kind).length && !o.cache?.has(name))
        startWorker(o.worker).prefetch(name, shardRows(kind, i));
    },
    async load(kind, i): Promise<LoadedShard<D>> {
      const name = `${kind}-${i}`;
      const rows = await shardRows(kind, i)();
      const cached = (await o.cache?.read(name, rows.rows.length)) ?? null;
      if (cached !== null) return { rows, ...o.open(cached), cached: true };
      const packed = o.worker
        ? await startWorker(o.worker).get(name, async () => rows)
        : await o.featurize(rows);
      o.cache?.write(name, packed);
      return { rows, ...o.open(packed), cached: false };
    },
    async close() {
      await worker?.close();
      await o.cache?.flush();
    },
  };
}
