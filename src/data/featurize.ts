/**
 * Featurizes a list of SMILES into a FeaturizedDataset, in parallel on worker threads for large
 * inputs (each worker loads its own RDKit), in order, deterministic whatever the thread count.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { getFeaturizer } from '../chem/featurizers/index.js';
import { loadRDKit } from '../chem/rdkit.js';
import { InvalidSmilesError, MolgroveError } from '../errors.js';
import { type ChunkResult, featurizeChunk } from './featurize-chunk.js';
import { concatPacked, FeaturizedDataset, type InvalidRow } from './featurized.js';

export interface FeaturizeOptions {
  /** Worker threads; default: all cores for inputs of at least `parallelThreshold` molecules. */
  readonly threads?: number;
  readonly parallelThreshold?: number;
  readonly chunkSize?: number;
  /** Keep going past unparsable SMILES (recorded in `invalid`); otherwise the first one throws. */
  readonly skipInvalid?: boolean;
  readonly source?: { path?: string; sha256?: string };
  readonly onProgress?: (done: number, total: number) => void;
}

export async function featurizeAll(
  smiles: readonly string[],
  preset: string,
  options: FeaturizeOptions = {},
): Promise<FeaturizedDataset> {
  const featurizer = getFeaturizer(preset); // fail fast on an unknown preset
  const chunkSize = options.chunkSize ?? 256;
  const threshold = options.parallelThreshold ?? 2000;
  const threads = options.threads ?? (smiles.length >= threshold ? availableParallelism() : 1);
  const chunks: { smiles: string[]; firstRow: number }[] = [];
  for (let i = 0; i < smiles.length; i += chunkSize) {
    chunks.push({ smiles: smiles.slice(i, i + chunkSize), firstRow: i });
  }
  const results: ChunkResult[] = new Array(chunks.length);
  let done = 0;
  const report = (r: ChunkResult, k: number) => {
    results[k] = r;
    done += chunks[k]!.smiles.length;
    options.onProgress?.(done, smiles.length);
    if (!options.skipInvalid && r.invalid.length > 0) {
      const first = r.invalid[0]!;
      throw new InvalidSmilesError(first.smiles, { row: first.row });
    }
  };
  if (threads <= 1 || chunks.length <= 1) {
    await loadRDKit();
    for (const [k, c] of chunks.entries()) report(featurizeChunk(c.smiles, c.firstRow, featurizer.name), k);
  } else {
    await runPool(chunks, featurizer.name, Math.min(threads, chunks.length), report);
  }
  const invalid: InvalidRow[] = results.flatMap((r) => r.invalid);
  const packed = concatPacked(results.map((r) => r.packed));
  return new FeaturizedDataset(
    featurizer.name,
    featurizer.atomDim,
    featurizer.bondDim,
    packed,
    invalid,
    smiles.length,
    options.source,
  );
}

function runPool(
  chunks: readonly { smiles: string[]; firstRow: number }[],
  preset: string,
  threads: number,
  report: (r: ChunkResult, k: number) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const workers: Worker[] = [];
    let next = 0;
    let finished = 0;
    let failed = false;
    const stop = (err?: unknown) => {
      if (failed) return;
      if (err) failed = true;
      for (const w of workers) void w.terminate();
      if (err) reject(err);
      else resolve();
    };
    const feed = (w: Worker) => {
      if (next >= chunks.length) return;
      const k = next++;
      const c = chunks[k]!;
      w.postMessage({ id: k, smiles: c.smiles, firstRow: c.firstRow, preset });
    };
    for (let t = 0; t < threads; t++) {
      const w = new Worker(new URL('./featurize-worker.js', import.meta.url));
      workers.push(w);
      w.on('message', (msg: { ready?: boolean; id?: number; result?: ChunkResult; error?: string }) => {
        if (failed) return;
        if (msg.ready) return feed(w);
        if (msg.error !== undefined || !msg.result || msg.id === undefined) {
          return stop(new MolgroveError('IO', `featurization worker failed: ${msg.error ?? 'no result'}`));
        }
        try {
          report(msg.result, msg.id);
        } catch (err) {
          return stop(err);
        }
        finished++;
        if (finished === chunks.length) stop();
        else feed(w);
      });
      w.on('error', (err) => stop(err));
    }
  });
}
