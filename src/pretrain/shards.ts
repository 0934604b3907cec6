/**
 * Streaming pretraining data, shared by every self-supervised objective: a SMILES file of any size
 * is read once (src/data/csv.ts `streamSmiles`, one row at a time) and cut into shard files of N
 * molecules (as GROVER's scripts/split_data.py), train and validation apart, so that training holds
 * one featurized shard at a time, never the corpus.
 *
 * - Split: a row is a validation row when a seeded hash of its 0-based row index falls below the
 *   validation fraction (default 0.1, GROVER's 90/10): deterministic, independent of shard size and
 *   of how the file is read, and computable without knowing the corpus size.
 * - Order: each epoch visits the train shards in a seeded random order and each shard's molecules in
 *   a seeded random order; both are pure functions of (seed, epoch, shard), so a resumed run needs
 *   only its position (epoch, shard position, batch) to continue exactly.
 *
 * - Subsets (`fraction`, for pretraining-data-size sweeps): a row is kept when another seeded hash
 *   of its row index falls below the fraction, so the subsets are nested (the 10% subset lies inside
 *   the 50% one) and need no count of the corpus; `limit` instead keeps the first N rows.
 * - Exclusion (`exclude`): molecules of other files or registry datasets (the downstream test sets)
 *   are left out, as Hu et al. kept ChEMBL molecules out of their downstream validation and test
 *   sets (pretrain-gnns chem/loader.py, chembl_filtered: a ChEMBL molecule is dropped when the
 *   standardized id of its largest species — stereo removed — is that of any species of a
 *   downstream molecule). The id here is RDKit's canonical SMILES without stereo instead of InChI
 *   (`excludedKeys`, `corpusKey`). Removed rows are left out of the shards (the others keep their
 *   source row numbers), counted in the index, and change its fingerprint. Every input row is then
 *   parsed by RDKit once for its id; rows RDKit cannot parse are kept (featurization skips them).
 *
 * Layout of the shard folder: `index.json` (written last: its presence means the shards are
 * complete; it records the source file's size and mtime, the column, limit, shard size, split and
 * exclusions, and is reused only when all of them match), `train-00000.tsv`, …, `valid-00000.tsv`,
 * … with lines `row<TAB>smiles`.
 */
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadRDKit, withMol } from '../chem/rdkit.js';
import { corpusFiles, streamCorpus } from '../data/corpus.js';
import { resolveDatasetFile } from '../data/fetch.js';
import { getDatasetSpec, isRegisteredDataset } from '../data/registry.js';
import { ConfigError, InvalidSmilesError, MolgroveError } from '../errors.js';
import { Rng } from '../tensor/index.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';

export const SHARDS_FORMAT = 'molgrove-shards';
export const SHARDS_VERSION = 1;
export const DEFAULT_SHARD_SIZE = 10_000;
export const DEFAULT_VALID_FRACTION = 0.1;

export interface ShardOptions {
  /** Molecules per shard file; default 10,000. */
  readonly shardSize?: number;
  /** Use only the first N rows of the file. */
  readonly limit?: number;
  /** Use a seeded share of the rows, in (0, 1]; nested across fractions. */
  readonly fraction?: number;
  /** SMILES column (CSV/TSV). */
  readonly column?: string;
  /** Share of rows held out for validation; default 0.1. */
  readonly validFraction?: number;
  /** Seed of the row → split hash; default 0 (GROVER splits with seed 0). */
  readonly splitSeed?: number;
  /** SMILES files (or directories) and registry dataset names whose molecules are left out. */
  readonly exclude?: readonly string[];
  /** Called every shard written with the rows read so far. */
  readonly onProgress?: (rows: number) => void;
}

export interface ShardInfo {
  readonly file: string;
  readonly rows: number;
}

/** A file of molecules left out (ShardOptions.exclude): as given, and the file(s) read. */
export interface ExcludeSource {
  readonly name: string;
  readonly path: string;
  /** Its SMILES column (a registry dataset's), or null for the file's default. */
  readonly column: string | null;
  readonly size: number;
  readonly mtimeMs: number;
}

/** What the exclusion did (ShardIndex.exclude). */
export interface ExcludeInfo {
  readonly sources: readonly ExcludeSource[];
  /** Distinct molecule ids in the sources. */
  readonly molecules: number;
  /** Input rows left out of the shards. */
  readonly removed: number;
}

export interface ShardIndex {
  readonly format: typeof SHARDS_FORMAT;
  readonly version: number;
  readonly source: { readonly path: string; readonly size: number; readonly mtimeMs: number };
  readonly column: string | null;
  readonly limit: number | null;
  /** Share of rows kept (absent: all, as in indexes written before). */
  readonly fraction?: number;
  readonly shardSize: number;
  readonly validFraction: number;
  readonly splitSeed: number;
  /** Rows in the shards (train + valid): those read from the source less those excluded. */
  readonly rows: number;
  readonly train: readonly ShardInfo[];
  readonly valid: readonly ShardInfo[];
  /** Present when molecules were excluded (absent otherwise, as in indexes written before). */
  readonly exclude?: ExcludeInfo;
}

/** A shard's rows: the source row index and SMILES of each molecule, in file order. */
export interface ShardRows {
  readonly rows: Int32Array;
  readonly smiles: string[];
}

/** splitmix32-style mixing of integers into one 32-bit seed. */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = (h ^ (Math.trunc(p) >>> 0)) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
    h = (h + 0x9e3779b9) >>> 0;
  }
  return h;
}

/** Whether row `row` is in the `fraction` subset (independent of the validation split's hash). */
export function isSubsetRow(row: number, seed: number, fraction: number): boolean {
  return mixSeed(seed, row, 0x5b5e7) / 0x100000000 < fraction;
}

/** Whether row `row` belongs to the validation part under `seed` and `fraction`. */
export function isValidationRow(row: number, seed: number, fraction: number): boolean {
  return mixSeed(seed, row, 0x5eed) / 0x100000000 < fraction;
}

function checkShardOptions(o: ShardOptions) {
  const shardSize = o.shardSize ?? DEFAULT_SHARD_SIZE;
  if (!(Number.isInteger(shardSize) && shardSize >= 1))
    throw new ConfigError(`shard size must be a positive integer, got ${shardSize}`);
  const validFraction = o.validFraction ?? DEFAULT_VALID_FRACTION;
  if (!(validFraction >= 0 && validFraction < 1))
    throw new ConfigError(`validation fraction must be in [0, 1), got ${validFraction}`);
  const splitSeed = o.splitSeed ?? 0;
  if (o.limit !== undefined && !(Number.isInteger(o.limit) && o.limit >= 1))
    throw new ConfigError(`limit must be a positive integer, got ${o.limit}`);
  const fraction = o.fraction ?? 1;
  if (!(fraction > 0 && fraction <= 1))
    throw new ConfigError(`the share of the corpus must be in (0, 1], got ${o.fraction}`);
  return { shardSize, validFraction, splitSeed, limit: o.limit ?? null, fraction, column: o.column ?? null };
}

/**
 * Resolves exclusion names: an existing file or directory, else a registry dataset (its file from
 * the mirror, the cache or a download, as `finetune --dataset` finds it).
 */
export async function resolveExclusions(names: readonly string[]): Promise<ExcludeSource[]> {
  const out: ExcludeSource[] = [];
  for (const name of names) {
    let path: string;
    let column: string | null = null;
    if (existsSync(name)) path = resolve(name);
    else if (isRegisteredDataset(name)) {
      const spec = getDatasetSpec(name);
      path = await resolveDatasetFile(spec);
      column = spec.smilesColumn;
    } else
      throw new ConfigError(
        `exclude: '${name}' is neither a file nor a registry dataset (molgrove datasets)`,
      );
    const files = corpusFiles(path);
    out.push({
      name,
      path,
      column,
      size: files.reduce((n, f) => n + f.size, 0),
      mtimeMs: Math.max(...files.map((f) => f.mtimeMs)),
    });
  }
  return out;
}

/** Same files, same contents (by size and mtime), same order. */
function sameSources(a: readonly ExcludeSource[], b: readonly ExcludeSource[]): boolean {
  return (
    a.length === b.length &&
    a.every(
      (s, i) =>
        s.path === b[i]!.path &&
        s.column === b[i]!.column &&
        s.size === b[i]!.size &&
        s.mtimeMs === b[i]!.mtimeMs,
    )
  );
}

/** A molecule's species as RDKit's canonical SMILES without stereo, with their atom counts; null if unparsable. */
function species(smiles: string): { key: string; atoms: number }[] | null {
  try {
    const whole = withMol(smiles, (m) => m.canonicalSmiles(false));
    if (!whole.includes('.')) return [{ key: whole, atoms: 0 }];
    return whole
      .split('.')
      .map((part) =>
        withMol(part, (m) => ({ key: m.canonicalSmiles(false), atoms: m.record().atoms.length })),
      );
  } catch (err) {
    if (err instanceof InvalidSmilesError) return null;
    throw err;
  }
}

/** The ids an excluded molecule stands for: each of its species (Hu et al. record every species). */
export function excludedKeys(smiles: string): string[] {
  return (species(smiles) ?? []).map((s) => s.key);
}

/** The id an input molecule is matched by: its largest species (most atoms, the first on ties). */
export function corpusKey(smiles: string): string | null {
  const all = species(smiles);
  if (all === null) return null;
  let best = all[0]!;
  for (const s of all) if (s.atoms > best.atoms) best = s;
  return best.key;
}

/** The molecule ids of the exclusion sources (RDKit loaded). */
async function readExcluded(sources: readonly ExcludeSource[]): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const s of sources) {
    for await (const r of streamCorpus(s.path, s.column === null ? {} : { column: s.column }))
      for (const k of excludedKeys(r.smiles)) keys.add(k);
  }
  return keys;
}

async function readIndex(dir: string): Promise<ShardIndex | null> {
  const path = join(dir, 'index.json');
  if (!existsSync(path)) return null;
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as ShardIndex;
    return v.format === SHARDS_FORMAT && v.version === SHARDS_VERSION ? v : null;
  } catch {
    return null;
  }
}

/**
 * Cuts `input` into shard files under `dir` (reusing them when `dir/index.json` describes the same
 * source and options). Holds at most two shards' rows at once.
 */
export async function prepareShards(
  input: string,
  dir: string,
  options: ShardOptions = {},
): Promise<ShardIndex> {
  const o = checkShardOptions(options);
  // A directory is its files together: the shards are rebuilt when any of them changes.
  const files = corpusFiles(input);
  const source = {
    path: resolve(input),
    size: files.reduce((n, f) => n + f.size, 0),
    mtimeMs: Math.max(...files.map((f) => f.mtimeMs)),
  };
  const excludeSources = await resolveExclusions(options.exclude ?? []);
  const old = await readIndex(dir);
  if (
    old &&
    old.source.path === source.path &&
    old.source.size === source.size &&
    old.source.mtimeMs === source.mtimeMs &&
    old.column === o.column &&
    old.limit === o.limit &&
    (old.fraction ?? 1) === o.fraction &&
    old.shardSize === o.shardSize &&
    old.validFraction === o.validFraction &&
    old.splitSeed === o.splitSeed &&
    sameSources(old.exclude?.sources ?? [], excludeSources)
  ) {
    return old;
  }
  await rm(join(dir, 'index.json'), { force: true });
  const parts = {
    train: { infos: [] as ShardInfo[], buf: [] as string[] },
    valid: { infos: [] as ShardInfo[], buf: [] as string[] },
  };
  const flush = async (kind: 'train' | 'valid') => {
    const p = parts[kind];
    if (p.buf.length === 0) return;
    const file = `${kind}-${String(p.infos.length).padStart(5, '0')}.tsv`;
    await writeFileAtomic(join(dir, file), `${p.buf.join('\n')}\n`);
    p.infos.push({ file, rows: p.buf.length });
    p.buf = [];
  };
  let excluded: Set<string> | null = null;
  if (excludeSources.length > 0) {
    await loadRDKit();
    excluded = await readExcluded(excludeSources);
  }
  let rows = 0;
  let removed = 0;
  const stream = streamCorpus(input, {
    ...(o.column === null ? {} : { column: o.column }),
    ...(o.limit === null ? {} : { limit: o.limit }),
  });
  for await (const r of stream) {
    if (r.smiles.includes('\t') || r.smiles.includes('\n'))
      throw new MolgroveError('IO', `${input}: row ${r.row} holds a tab or newline in its SMILES`);
    if (o.fraction < 1 && !isSubsetRow(r.row, o.splitSeed, o.fraction)) continue;
    if (excluded !== null) {
      const key = corpusKey(r.smiles);
      if (key !== null && excluded.has(key)) {
        removed++;
        continue;
      }
    }
    const kind = isValidationRow(r.row, o.splitSeed, o.validFraction) ? 'valid' : 'train';
    parts[kind].buf.push(`${r.row}\t${r.smiles}`);
    rows++;
    if (parts[kind].buf.length >= o.shardSize) {
      await flush(kind);
      options.onProgress?.(rows + removed);
    }
  }
  await flush('train');
  await flush('valid');
  options.onProgress?.(rows + removed);
  const index: ShardIndex = {
    format: SHARDS_FORMAT,
    version: SHARDS_VERSION,
    source,
    column: o.column,
    limit: o.limit,
    ...(o.fraction < 1 ? { fraction: o.fraction } : {}),
    shardSize: o.shardSize,
    validFraction: o.validFraction,
    splitSeed: o.splitSeed,
    rows,
    train: parts.train.infos,
    valid: parts.valid.infos,
    ...(excluded === null ? {} : { exclude: { sources: excludeSources, molecules: excluded.size, removed } }),
  };
  await writeJsonAtomic(join(dir, 'index.json'), index);
  return index;
}

/** Reads one shard file. */
export async function readShard(dir: string, info: ShardInfo): Promise<ShardRows> {
  const text = await readFile(join(dir, info.file), 'utf8');
  const rows = new Int32Array(info.rows);
  const smiles: string[] = [];
  let i = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const tab = line.indexOf('\t');
    if (tab < 0 || i >= info.rows) throw new MolgroveError('IO', `${info.file}: malformed shard line`);
    rows[i++] = Number(line.slice(0, tab));
    smiles.push(line.slice(tab + 1));
  }
  if (i !== info.rows) throw new MolgroveError('IO', `${info.file}: ${i} rows, index says ${info.rows}`);
  return { rows, smiles };
}

/** The order the train shards are visited in during `epoch`. */
export function shardOrder(count: number, seed: number, epoch: number): Int32Array {
  return new Rng(mixSeed(seed, epoch, 0x5a4d)).permutation(count);
}

/** The order of a shard's molecules during `epoch` (positions 0..n-1 within the shard). */
export function rowOrder(n: number, seed: number, epoch: number, shard: number): Int32Array {
  return new Rng(mixSeed(seed, epoch, shard, 0x0dd)).permutation(n);
}

/** Batches of a shard of n molecules: ceil(n / batchSize). */
export function batchesIn(n: number, batchSize: number): number {
  return Math.ceil(n / batchSize);
}

/** Optimizer steps of one epoch: batches never span shards (the last one of a shard may be short). */
export function stepsPerEpoch(index: ShardIndex, batchSize: number): number {
  return index.train.reduce((s, info) => s + batchesIn(info.rows, batchSize), 0);
}

/**
 * What identifies a run's data in its fingerprint: source, rows, shard size, split, shard files and
 * the exclusions (only when there are some, so that runs without keep their fingerprints).
 */
export function shardFingerprint(index: ShardIndex) {
  return {
    source: index.source.path,
    rows: index.rows,
    shardSize: index.shardSize,
    split: [index.splitSeed, index.validFraction],
    train: index.train,
    valid: index.valid,
    ...(index.exclude
      ? { exclude: { sources: index.exclude.sources.map((s) => s.path), removed: index.exclude.removed } }
      : {}),
  };
}
