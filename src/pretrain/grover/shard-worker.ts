// Worker thread of ShardFeaturizer (shard-featurizer.ts): loads RDKit and the vocabularies once,
// then featurizes the shards it is sent (graphs, context-key labels, motif labels).

import { parentPort } from 'node:worker_threads';
import { loadRDKit } from '../../chem/rdkit.js';
import { featurizeShardSync, type PackedShard } from './data.js';
import { Vocab } from './vocab.js';

interface Job {
  readonly id: number;
  readonly rows: Int32Array;
  readonly smiles: string[];
}

const port = parentPort!;
let vocab: { atom: Vocab; bond: Vocab } | undefined;
await loadRDKit();
port.on('message', (msg: { vocab: { atom: unknown; bond: unknown } } | Job) => {
  if ('vocab' in msg) {
    vocab = { atom: Vocab.fromJson(msg.vocab.atom), bond: Vocab.fromJson(msg.vocab.bond) };
    return;
  }
  try {
    const packed: PackedShard = featurizeShardSync(msg.rows, msg.smiles, vocab!);
    const buffers = [
      ...Object.values(packed.packed).map((a: ArrayBufferView) => a.buffer as ArrayBuffer),
      packed.atomVocab.buffer as ArrayBuffer,
      packed.bondVocab.buffer as ArrayBuffer,
      packed.motifs.buffer as ArrayBuffer,
      packed.invalid.buffer as ArrayBuffer,
    ];
    port.postMessage({ id: msg.id, packed }, buffers);
  } catch (err) {
    port.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});
port.postMessage({ ready: true });
