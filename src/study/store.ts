/**
 * The results store of a study: a plain folder holding
 * - `results.jsonl`, the source of truth: one JSON line per finished run, only ever appended.
 *   A line is appended with ONE write of the whole line (opened O_APPEND) followed by fsync, so a
 *   crash leaves at worst a torn last line; readers skip unparsable lines with a warning. Before
 *   appending after a torn line, a newline is written first so the fragment stays on a line of
 *   its own instead of spoiling the next record.
 * - `index.json`, derived: key → line and a short summary, with the byte length of results.jsonl
 *   it describes; rebuilt from the JSONL whenever it is missing, unreadable or stale.
 *
 * Results are written once: recording a key already present is a no-op. Several processes (or
 * machines on a shared folder) may append to one store; if two record the same key at the same
 * moment both lines land, and readers keep the FIRST line of each key, so the result is still
 * written once as far as anyone reading can tell. (O_APPEND writes of one line are atomic on local
 * filesystems; on NFS they are not guaranteed: the distributed runner should serialize appends,
 * e.g. one writer, or a lock, or a store in Redis/PostgreSQL.)
 */

import { existsSync } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/atomic.js';
import { VERSION } from '../version.js';
import type { StudyPlan } from './plan.js';

export const RESULTS_FILE = 'results.jsonl';
export const INDEX_FILE = 'index.json';
const INDEX_FORMAT = 'molgrove-study-index';
const INDEX_VERSION = 1;

/** One finished run, one line of results.jsonl. */
export interface RunResult {
  readonly key: string;
  readonly kind: 'pretrain' | 'finetune';
  /** The resolved config the key was computed from (plan.ts). */
  readonly config: unknown;
  /**
   * What the run measured. Fine-tunes: at least `test` and `valid` (the seed's scores) and
   * `metric`; more (per-task scores, best epoch, secondsPerEpoch…) as the runner has them.
   * Pretrainings: final losses, molecules per second, rows…
   */
  readonly metrics: Readonly<Record<string, unknown>>;
  /** Wall-clock seconds of the run. */
  readonly seconds: number;
  /** molgrove version that produced it (keys do not include it; see keys.ts). */
  readonly version: string;
  /** ISO 8601 time it finished. */
  readonly finishedAt: string;
  /** Fine-tunes: the key of the pretraining they started from, or null. */
  readonly pretrain?: string | null;
  /** Free-form provenance (host, worker id, run folder). */
  readonly info?: Readonly<Record<string, unknown>>;
}

/** What `record` needs: version and time are filled in when absent. */
export type NewRunResult = Omit<RunResult, 'version' | 'finishedAt'> &
  Partial<Pick<RunResult, 'version' | 'finishedAt'>>;

export interface IndexEntry {
  /** 0-based line of results.jsonl. */
  readonly line: number;
  readonly kind: RunResult['kind'];
  readonly finishedAt: string;
  readonly seconds: number;
  readonly version: string;
}

interface IndexFile {
  readonly format: typeof INDEX_FORMAT;
  readonly version: number;
  /** Length of results.jsonl this index describes. */
  readonly bytes: number;
  readonly lines: number;
  readonly entries: Readonly<Record<string, IndexEntry>>;
}

function isResult(v: unknown): v is RunResult {
  if (v === null || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r['key'] === 'string' &&
    (r['kind'] === 'pretrain' || r['kind'] === 'finetune') &&
    typeof r['metrics'] === 'object' &&
    r['metrics'] !== null
  );
}

export class ResultStore {
  private readonly byKey = new Map<string, { line: number; result: RunResult }>();
  private readonly list: RunResult[] = [];
  /** Bytes of results.jsonl read so far (complete lines only). */
  private bytes = 0;
  private lines = 0;
  private tornTail = false;
  private queue: Promise<unknown> = Promise.resolve();
  /** Problems met while reading (torn or unparsable lines); the store itself keeps working. */
  readonly warnings: string[] = [];

  private constructor(readonly dir: string) {}

  get resultsPath(): string {
    return join(this.dir, RESULTS_FILE);
  }

  get indexPath(): string {
    return join(this.dir, INDEX_FILE);
  }

  /** Opens (creating the folder) and reads the store; rebuilds index.json when missing or stale. */
  static async open(dir: string): Promise<ResultStore> {
    await mkdir(dir, { recursive: true });
    const store = new ResultStore(dir);
    await store.refresh();
    if (!(await store.indexIsFresh())) await store.writeIndex();
    return store;
  }

  /** Reads lines appended since the last read (by this or another process). */
  async refresh(): Promise<void> {
    if (!existsSync(this.resultsPath)) return;
    const buf = await readFile(this.resultsPath);
    if (buf.length < this.bytes) {
      // Truncated or replaced under us: start over (never happens through this class).
      this.byKey.clear();
      this.list.length = 0;
      this.bytes = 0;
      this.lines = 0;
    }
    const end = buf.lastIndexOf(0x0a) + 1;
    const text = buf.subarray(this.bytes, end).toString('utf8');
    if (text !== '')
      for (const line of text.slice(0, -1).split('\n')) {
        this.take(line, this.lines);
        this.lines++;
      }
    this.bytes = Math.max(this.bytes, end);
    this.tornTail = end < buf.length;
    if (this.tornTail)
      this.warn(`${this.resultsPath}: last line is incomplete (a crash mid-write?); ignored`);
  }

  private warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  private take(line: string, n: number): void {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.warn(`${this.resultsPath}: line ${n + 1} is not JSON (torn write?); ignored`);
      return;
    }
    if (!isResult(value)) {
      this.warn(`${this.resultsPath}: line ${n + 1} is not a run result; ignored`);
      return;
    }
    // The first line of a key is its result; later ones are duplicates of a race.
    if (this.byKey.has(value.key)) return;
    this.byKey.set(value.key, { line: n, result: value });
    this.list.push(value);
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  get(key: string): RunResult | undefined {
    return this.byKey.get(key)?.result;
  }

  /** Every result, in the order recorded (first line of each key). */
  results(): readonly RunResult[] {
    return this.list;
  }

  /**
   * Appends a finished run unless its key is already there (then returns false). Calls in one
   * process are serialized; other writers' lines are read first so a key is not written twice.
   */
  record(result: NewRunResult): Promise<boolean> {
    const next = this.queue.then(() => this.append(result));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async append(result: NewRunResult): Promise<boolean> {
    await this.refresh();
    if (this.has(result.key)) return false;
    const full: RunResult = {
      ...result,
      version: result.version ?? VERSION,
      finishedAt: result.finishedAt ?? new Date().toISOString(),
    };
    const line = `${JSON.stringify(full)}\n`;
    const fh = await open(this.resultsPath, 'a');
    try {
      // A torn fragment must not swallow this record: end it with a newline of its own.
      await fh.write(this.tornTail ? `\n${line}` : line);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await this.refresh();
    await this.writeIndex();
    return true;
  }

  /** The planned runs not finished yet, pretrainings first. */
  pending(plan: StudyPlan): { pretrains: StudyPlan['pretrains']; finetunes: StudyPlan['finetunes'] } {
    return {
      pretrains: plan.pretrains.filter((p) => !this.has(p.key)),
      finetunes: plan.finetunes.filter((f) => !this.has(f.key)),
    };
  }

  private async indexIsFresh(): Promise<boolean> {
    if (!existsSync(this.indexPath)) return false;
    try {
      const idx = JSON.parse(await readFile(this.indexPath, 'utf8')) as IndexFile;
      return (
        idx.format === INDEX_FORMAT &&
        idx.version === INDEX_VERSION &&
        idx.bytes === this.bytes &&
        Object.keys(idx.entries).length === this.byKey.size
      );
    } catch {
      return false;
    }
  }

  /** Rewrites index.json from what was read (atomically; derived data, last writer wins). */
  async writeIndex(): Promise<void> {
    const entries: Record<string, IndexEntry> = {};
    for (const [key, { line, result }] of this.byKey)
      entries[key] = {
        line,
        kind: result.kind,
        finishedAt: result.finishedAt,
        seconds: result.seconds,
        version: result.version,
      };
    const idx: IndexFile = {
      format: INDEX_FORMAT,
      version: INDEX_VERSION,
      bytes: this.bytes,
      lines: this.lines,
      entries,
    };
    await writeJsonAtomic(this.indexPath, idx);
  }
}

/** Opens the store of a study folder if it has one (no folder is created), else null. */
export async function openIfExists(dir: string): Promise<ResultStore | null> {
  return existsSync(join(dir, RESULTS_FILE)) ? ResultStore.open(dir) : null;
}
