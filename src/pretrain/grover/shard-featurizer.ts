// GROVER's shards featurized on a worker thread (shard-worker.ts) with prefetch: see
// ../shard-featurizer.ts. Results are those of featurizeShardSync, whatever thread.

import { WorkerShardFeaturizer } from '../shard-featurizer.js';
import type { PackedShard } from './data.js';
import type { Vocab } from './vocab.js';

export class ShardFeaturizer extends WorkerShardFeaturizer<PackedShard> {
  constructor(vocab: { readonly atom: Vocab; readonly bond: Vocab }) {
    super(new URL('./shard-worker.js', import.meta.url), {
      vocab: { atom: vocab.atom.toJson(), bond: vocab.bond.toJson() },
    });
  }
}
