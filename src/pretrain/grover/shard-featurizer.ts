// Shards featurized on a worker thread, ahead of need: while the trainer works through one shard
// the next is already being featurized, so featurization overlaps the (largely single-threaded)
// training step instead of stopping it. Results are those of featurizeShardSync, whatever thread.

import { Worker } from 'node:worker_threads';
import { MolgroveError } from '../../errors.js';
import type { ShardRows } from '../shards.js';
import type { PackedShard } from './data.js';
import type { Vocab } from './vocab.js';

export class ShardFeaturizer {
  private readonly worker: Worker;
  private readonly pending = new Map<
    number,
    { resolve: (p: PackedShard) => void; reject: (e: Error) => void }
  >();
  private readonly ahead = new Map<string, Promise<PackedShard>>();
  private nextId = 0;

  constructor(vocab: { readonly atom: Vocab; readonly bond: Vocab }) {
    this.worker = new Worker(new URL('./shard-worker.js', import.meta.url));
    this.worker.on('message', (m: { ready?: boolean; id?: number; packed?: PackedShard; error?: string }) => {
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
    this.worker.postMessage({ vocab: { atom: vocab.atom.toJson(), bond: vocab.bond.toJson() } });
  }

  /** Starts featurizing `rows` under `key` unless that is under way already. */
  prefetch(key: string, rows: () => Promise<ShardRows>): void {
    if (this.ahead.has(key)) return;
    const job = rows().then(
      (r) =>
        new Promise<PackedShard>((resolve, reject) => {
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
  get(key: string, rows: () => Promise<ShardRows>): Promise<PackedShard> {
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
