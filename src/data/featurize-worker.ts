/** Worker thread: loads RDKit once, then featurizes the chunks the pool sends. */
import { parentPort } from 'node:worker_threads';
import { loadRDKit } from '../chem/rdkit.js';
import { featurizeChunk } from './featurize-chunk.js';

interface Job {
  readonly id: number;
  readonly smiles: string[];
  readonly firstRow: number;
  readonly preset: string;
}

await loadRDKit();
parentPort?.on('message', (job: Job) => {
  try {
    const result = featurizeChunk(job.smiles, job.firstRow, job.preset);
    const p = result.packed;
    const buffers = Object.values(p).map((a: Float32Array | Int32Array) => a.buffer as ArrayBuffer);
    parentPort?.postMessage({ id: job.id, result }, buffers);
  } catch (err) {
    parentPort?.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err) });
  }
});
parentPort?.postMessage({ ready: true });
