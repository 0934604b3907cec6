// Worker thread of the generic trainer's WorkerShardFeaturizer (shard-featurizer.ts): loads RDKit
// once, then featurizes the shards it is sent with the featurizer and labels named in `init`.

import { parentPort } from 'node:worker_threads';
import { loadRDKit } from '../chem/rdkit.js';
import { featurizeGraphShardSync, type PackedGraphShard } from './graph-shard.js';
import type { MoleculeLabelName } from './objective.js';

interface Job {
  readonly id: number;
  readonly rows: Int32Array;
  readonly smiles: string[];
}
interface Init {
  readonly init: { readonly featurizer: string; readonly labels: MoleculeLabelName[] };
}

const port = parentPort!;
let init: Init['init'] | undefined;
await loadRDKit();
port.on('message', (msg: Init | Job) => {
  if ('init' in msg) {
    init = msg.init;
    return;
  }
  try {
    const packed: PackedGraphShard = featurizeGraphShardSync(
      msg.rows,
      msg.smiles,
      init!.featurizer,
      init!.labels,
    );
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
