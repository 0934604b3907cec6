/**
 * Building GROVER's vocabularies from a SMILES file of any size: rows are streamed from the file
 * (src/data/csv.ts `streamSmiles`, one row held at a time), cut into chunks, and each chunk's keys
 * are counted on a pool of worker threads (each loads its own RDKit, as featurization does); the
 * main thread only reads the file and adds the per-chunk counts. At most two chunks per worker are
 * in flight, so memory stays bounded by the counts, not by the file. Integer counts add up the same
 * in any order, so the result does not depend on the number of workers.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { loadRDKit } from '../../chem/rdkit.js';
import { streamCorpus } from '../../data/corpus.js';
import { type SmilesRow, type StreamSmilesOptions, streamSmiles } from '../../data/csv.js';
import { ConfigError, InvalidSmilesError, MolgroveError } from '../../errors.js';
import { checkRadius, DEFAULT_RADIUS } from './context.js';
import { type ChunkCounts, countChunk } from './count-chunk.js';
import { Vocab, type VocabOptions } from './vocab.js';

export interface CountOptions {
  readonly radius?: number;
  /** Worker threads; default: all cores (inputs of a single chunk are counted on the main thread). */
  readonly workers?: number;
  /** SMILES per chunk sent to a worker; default 1000. */
  readonly chunkSize?: number;
  /** Stop at the first unparsable SMILES (InvalidSmilesError) instead of counting and skipping it. */
  readonly strict?: boolean;
  /** How many invalid rows to list (all are counted); default 1000, the lowest rows. */
  readonly maxInvalidListed?: number;
  /** Called after every chunk with the totals so far. */
  readonly onProgress?: (progress: CountProgress) => void;
}

export interface CountFileOptions
  extends CountOptions,
    Pick<StreamSmilesOptions, 'column' | 'format' | 'limit'> {}

export interface CountProgress {
  /** Data rows read and counted so far. */
  readonly rows: number;
  readonly molecules: number;
  readonly invalid: number;
  readonly seconds: number;
}

export interface InvalidVocabRow {
  /** 0-based data row. */
  readonly row: number;
  /** 1-based physical line of the file. */
  readonly line: number;
  readonly smiles: string;
}

export interface KeyCounts {
  readonly atoms: Map<string, number>;
  readonly bonds: Map<string, number>;
  readonly radius: number;
  readonly rows: number;
  readonly molecules: number;
  readonly invalid: number;
  /** The first `maxInvalidListed` invalid rows, by row. */
  readonly invalidRows: InvalidVocabRow[];
  readonly workers: number;
  readonly seconds: number;
}

interface Chunk {
  readonly smiles: string[];
  readonly lines: number[];
  readonly firstRow: number;
}

function checkCountOptions(options: CountOptions): { radius: number; workers: number; chunkSize: number } {
  const radius = checkRadius(options.radius ?? DEFAULT_RADIUS);
  const workers = options.workers ?? availableParallelism();
  if (!(Number.isInteger(workers) && workers >= 1)) {
    throw new ConfigError(`workers must be a positive integer, got ${workers}`);
  }
  const chunkSize = options.chunkSize ?? 1000;
  if (!(Number.isInteger(chunkSize) && chunkSize >= 1)) {
    throw new ConfigError(`chunk size must be a positive integer, got ${chunkSize}`);
  }
  return { radius, workers, chunkSize };
}

function mergeInto(total: Map<string, number>, part: ReadonlyMap<string, number>): void {
  for (const [k, c] of part) total.set(k, (total.get(k) ?? 0) + c);
}

/** Counts atom and bond context keys of rows given in order (rows must number 0, 1, 2, … as streamed). */
export async function countContextKeys(
  rows: AsyncIterable<SmilesRow> | Iterable<SmilesRow>,
  options: CountOptions = {},
): Promise<KeyCounts> {
  const { radius, workers, chunkSize } = checkCountOptions(options);
  const maxListed = options.maxInvalidListed ?? 1000;
  const started = performance.now();
  const atoms = new Map<string, number>();
  const bonds = new Map<string, number>();
  let rowsDone = 0;
  let molecules = 0;
  let invalid = 0;
  let invalidRows: InvalidVocabRow[] = [];

  const merge = (chunk: Chunk, counts: ChunkCounts): void => {
    if (options.strict && counts.invalid.length > 0) {
      const row = counts.invalid[0]!;
      throw new InvalidSmilesError(chunk.smiles[row - chunk.firstRow] ?? '', { row });
    }
    mergeInto(atoms, counts.atoms);
    mergeInto(bonds, counts.bonds);
    molecules += counts.molecules;
    invalid += counts.invalid.length;
    for (const row of counts.invalid) {
      const i = row - chunk.firstRow;
      invalidRows.push({ row, line: chunk.lines[i] ?? -1, smiles: chunk.smiles[i] ?? '' });
    }
    if (invalidRows.length > 2 * maxListed) invalidRows = lowestRows(invalidRows, maxListed);
    rowsDone += chunk.smiles.length;
    options.onProgress?.({
      rows: rowsDone,
      molecules,
      invalid,
      seconds: (performance.now() - started) / 1000,
    });
  };

  let pool: CountPool | undefined;
  let failure: { error: unknown } | undefined;
  const inFlight = new Set<Promise<void>>();
  const countHere = async (chunk: Chunk): Promise<void> => {
    await loadRDKit();
    merge(chunk, countChunk(chunk.smiles, chunk.firstRow, radius));
  };
  const dispatch = async (chunk: Chunk): Promise<void> => {
    if (workers === 1) return countHere(chunk);
    pool ??= new CountPool(workers);
    while (inFlight.size >= 2 * workers && !failure) await Promise.race(inFlight);
    if (failure) throw failure.error;
    const p: Promise<void> = pool
      .run(chunk, radius)
      .then((counts) => merge(chunk, counts))
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  try {
    // The first chunk waits: when it is the only one, the main thread counts it (no worker start-up).
    let first: Chunk | undefined;
    let seen = false;
    for await (const chunk of chunked(rows, chunkSize)) {
      if (!seen) {
        seen = true;
        first = chunk;
        continue;
      }
      if (first) {
        await dispatch(first);
        first = undefined;
      }
      await dispatch(chunk);
    }
    if (first) await countHere(first);
    await Promise.all(inFlight);
    if (failure) throw failure.error;
  } finally {
    await pool?.close();
  }
  return {
    atoms,
    bonds,
    radius,
    rows: rowsDone,
    molecules,
    invalid,
    invalidRows: lowestRows(invalidRows, maxListed),
    workers: pool ? workers : 1,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Cuts rows into chunks of `size`, checking that rows come numbered 0, 1, 2, … */
async function* chunked(
  rows: AsyncIterable<SmilesRow> | Iterable<SmilesRow>,
  size: number,
): AsyncGenerator<Chunk, void, undefined> {
  let current: Chunk = { smiles: [], lines: [], firstRow: 0 };
  let expected = 0;
  for await (const r of rows) {
    if (r.row !== expected)
      throw new MolgroveError('IO', `rows out of order: got ${r.row}, expected ${expected}`);
    expected++;
    current.smiles.push(r.smiles);
    current.lines.push(r.line);
    if (current.smiles.length >= size) {
      yield current;
      current = { smiles: [], lines: [], firstRow: expected };
    }
  }
  if (current.smiles.length > 0) yield current;
}

function lowestRows(rows: InvalidVocabRow[], n: number): InvalidVocabRow[] {
  return rows.sort((a, b) => a.row - b.row).slice(0, n);
}

/** Streams a SMILES file (CSV/TSV/.smi, gzip or not) or a directory of them and counts its context keys. */
export function countContextKeysInFile(path: string, options: CountFileOptions = {}): Promise<KeyCounts> {
  const { column, format, limit, ...rest } = options;
  const common = { ...(column === undefined ? {} : { column }), ...(limit === undefined ? {} : { limit }) };
  // A directory (or any file, format detected) is read as a corpus; an explicit format names one file's.
  const stream =
    format === undefined ? streamCorpus(path, common) : streamSmiles(path, { ...common, format });
  return countContextKeys(stream, rest);
}

export interface BuiltVocabs {
  readonly atom: Vocab;
  readonly bond: Vocab;
  readonly counts: KeyCounts;
}

/** Counts a file's keys and builds both vocabularies (GROVER's scripts/build_vocab.py). */
export async function buildVocabsFromFile(
  path: string,
  options: CountFileOptions & Omit<VocabOptions, 'radius'> = {},
): Promise<BuiltVocabs> {
  const { maxSize, minFreq, ...countOptions } = options;
  const counts = await countContextKeysInFile(path, countOptions);
  const vocabOptions: VocabOptions = {
    radius: counts.radius,
    ...(maxSize === undefined ? {} : { maxSize }),
    ...(minFreq === undefined ? {} : { minFreq }),
  };
  return {
    atom: Vocab.fromCounts('atom', counts.atoms, vocabOptions),
    bond: Vocab.fromCounts('bond', counts.bonds, vocabOptions),
    counts,
  };
}

type WorkerMessage = { ready: true } | { id: number; result: ChunkCounts } | { id: number; error: string };

/** Worker threads counting chunks; a chunk goes to the worker with the fewest chunks queued. */
class CountPool {
  private readonly workers: { worker: Worker; queued: number }[] = [];
  private readonly jobs = new Map<
    number,
    { resolve: (c: ChunkCounts) => void; reject: (e: unknown) => void }
  >();
  private nextId = 0;
  private broken: unknown;
  private closed = false;

  constructor(size: number) {
    for (let t = 0; t < size; t++) {
      const worker = new Worker(new URL('./count-worker.js', import.meta.url));
      const slot = { worker, queued: 0 };
      this.workers.push(slot);
      worker.on('message', (msg: WorkerMessage) => {
        if ('ready' in msg) return;
        const job = this.jobs.get(msg.id);
        if (!job) return;
        this.jobs.delete(msg.id);
        slot.queued--;
        if ('error' in msg) job.reject(new MolgroveError('IO', `vocabulary worker failed: ${msg.error}`));
        else job.resolve(msg.result);
      });
      worker.on('error', (err) => this.fail(err));
      worker.on('exit', (code) => {
        if (!this.closed) this.fail(new MolgroveError('IO', `vocabulary worker exited (code ${code})`));
      });
    }
  }

  private fail(err: unknown): void {
    this.broken ??= err;
    for (const job of this.jobs.values()) job.reject(err);
    this.jobs.clear();
  }

  run(chunk: Chunk, radius: number): Promise<ChunkCounts> {
    if (this.broken !== undefined) return Promise.reject(this.broken);
    let slot = this.workers[0]!;
    for (const s of this.workers) if (s.queued < slot.queued) slot = s;
    const id = this.nextId++;
    slot.queued++;
    return new Promise((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
      // Messages posted before the worker has loaded RDKit wait in its queue.
      slot.worker.postMessage({ id, smiles: chunk.smiles, firstRow: chunk.firstRow, radius });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((s) => s.worker.terminate()));
  }
}
