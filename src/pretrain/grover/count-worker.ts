/** Worker thread: loads RDKit once, then counts the context keys of the chunks build.ts sends. */
import { parentPort } from 'node:worker_threads';
import { loadRDKit } from '../../chem/rdkit.js';
import { countChunk } from './count-chunk.js';

interface Job {
  readonly id: number;
  readonly smiles: string[];
  readonly firstRow: number;
  readonly radius: number;
}

await loadRDKit();
parentPort?.on('message', (job: Job) => {
  try {
    parentPort?.postMessage({ id: job.id, result: countChunk(job.smiles, job.firstRow, job.radius) });
  } catch (err) {
    parentPort?.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err) });
  }
});
parentPort?.postMessage({ ready: true });
