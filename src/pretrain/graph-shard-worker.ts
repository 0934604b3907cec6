// Worker thread of the generic trainer's WorkerShardFeaturizer (shard-featurizer.ts): loads RDKit
// once, sets up the labels named in `init` once with the objective's options (a vocabulary is
// loaded here, not sent), then featurizes the shards it is sent with the featurizer named in `init`.

import { parentPort } from 'node:worker_threads';
import { loadRDKit } from '../chem/rdkit.js';
import {
  featurizeGraphShardSync,
  type PackedGraphShard,
  type ShardLabeler,
  setupLabels,
} from './graph-shard.js';
import type { MoleculeLabelName, ObjectiveOptions } from './objective.js';

interface Job {
  readonly id: number;
  readonly rows: Int32Array;
  readonly smiles: string[];
}
interface Init {
  readonly init: {
    readonly featurizer: string;
    readonly labels: MoleculeLabelName[];
    readonly options?: ObjectiveOptions;
  };
}

const port = parentPort!;
let ready: Promise<{ featurizer: string; labelers: ShardLabeler[] }> | undefined;
await loadRDKit();
port.on('message', async (msg: Init | Job) => {
  if ('init' in msg) {
    const { featurizer, labels, options = {} } = msg.init;
    ready = setupLabels(labels, options).then((labelers) => ({ featurizer, labelers }));
    // A failed setup is reported with each job instead.
    ready.catch(() => {});
    return;
  }
  try {
    const { featurizer, labelers } = await ready!;
    const packed: PackedGraphShard = featurizeGraphShardSync(msg.rows, msg.smiles, featurizer, labelers);
    const buffers = [
      ...Object.values(packed.packed).map((a: ArrayBufferView) => a.buffer as ArrayBuffer),
      ...Object.values(packed.labels).map((a) => a.buffer as ArrayBuffer),
      packed.invalid.buffer as ArrayBuffer,
    ];
    port.postMessage({ id: msg.id, packed }, buffers);
  } catch (err) {
    port.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});
port.postMessage({ ready: true });
