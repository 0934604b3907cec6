/**
 * Featurized shards kept on disk, so that only a run's first epoch featurizes (RDKit featurization
 * is slower than training a small GNN, and Hu et al.'s protocol runs 100 epochs).
 *
 * - Folder: `<shardDir>/featurized/<key>/`, the key a short SHA-256 of everything the featurized
 *   content depends on: the shard index (source, rows, split, shard files, exclusions), the
 *   featurizer, the labels and what they read (a vocabulary's content, not its path), the cache
 *   format and molgrove's version. Another featurizer or vocabulary gets another folder.
 * - Files: `train-<i>.bin`, `valid-<i>.bin`, in the tensor container of src/tensor/serialize.ts
 *   (safetensors layout; Uint8 labels stored as I32), written atomically. The metadata holds a
 *   SHA-256 of the arrays, so a corrupt or truncated file is caught, deleted and featurized again.
 * - A file that cannot be written only costs time: the run goes on without it.
 */

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PACKED_GRAPH_ARRAYS, type PackedGraphs } from '../data/featurized.js';
import {
  decodeTensors,
  encodeTensors,
  type MetadataValue,
  type TensorData,
  type TensorEntry,
} from '../tensor/serialize.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { VERSION } from '../version.js';
import type { PackedGraphShard } from './graph-shard.js';
import type { PackedShard } from './grover/data.js';
import { MOTIF_COUNT } from './grover/labels.js';
import type { Vocab } from './grover/vocab.js';
import {
  type LabelArray,
  MOLECULE_LABELS,
  type MoleculeLabelName,
  type MoleculeLabels,
  type ObjectiveOptions,
} from './objective.js';
import type { ShardIndex } from './shards.js';

export const SHARD_CACHE_FORMAT = 'molgrove-featurized-shard';
export const SHARD_CACHE_VERSION = 1;
/** The cache's folder within a shard folder. */
export const SHARD_CACHE_FOLDER = 'featurized';

/** Arrays and scalars of one featurized shard type, and back. */
export interface ShardCodec<P> {
  encode(p: P): { arrays: Record<string, TensorData>; meta: Record<string, MetadataValue> };
  /** Throws when something does not fit. */
  decode(arrays: ReadonlyMap<string, TensorData>, meta: Readonly<Record<string, MetadataValue>>): P;
  /** Source rows the shard covers (valid + invalid). */
  rows(p: P): number;
}

class CacheFileError extends Error {}

/** SHA-256 over the arrays in name order (names, dtypes and lengths included). */
function arraysDigest(arrays: ReadonlyMap<string, TensorData> | Record<string, TensorData>): string {
  const entries = arrays instanceof Map ? [...arrays] : Object.entries(arrays);
  const h = createHash('sha256');
  for (const [name, a] of entries.sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    h.update(`${name}:${a.constructor.name}:${a.length};`);
    h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  return h.digest('hex');
}

/** The key of a cache folder: a short hash of what the featurized content depends on. */
export function shardCacheKey(index: ShardIndex, content: MetadataValue): string {
  const what = JSON.stringify({
    format: SHARD_CACHE_FORMAT,
    version: SHARD_CACHE_VERSION,
    molgrove: VERSION,
    index: index as unknown as MetadataValue,
    content,
  });
  return createHash('sha256').update(what).digest('hex').slice(0, 16);
}

/** One cache folder: featurized shards by name (`train-3`), read back only when they check out. */
export class ShardCache<P> {
  readonly key: string;
  readonly dir: string;
  /** Writes under way, by shard name (a read of that shard waits for its write). */
  private readonly writes = new Map<string, Promise<void>>();
  private described = false;

  constructor(
    shardDir: string,
    index: ShardIndex,
    /** What the content depends on besides the index (featurizer, labels, their inputs). */
    private readonly content: MetadataValue,
    private readonly codec: ShardCodec<P>,
  ) {
    this.key = shardCacheKey(index, content);
    this.dir = join(shardDir, SHARD_CACHE_FOLDER, this.key);
  }

  path(name: string): string {
    return join(this.dir, `${name}.bin`);
  }

  /** Whether a file for `name` is there or being written (it may still fail its checks). */
  has(name: string): boolean {
    return this.writes.has(name) || existsSync(this.path(name));
  }

  /** The cached shard `name` of `rows` source rows, or null (a bad file is deleted). */
  async read(name: string, rows: number): Promise<P | null> {
    await this.writes.get(name);
    const path = this.path(name);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch {
      return null;
    }
    try {
      return this.decode(bytes, name, rows);
    } catch {
      await rm(path, { force: true });
      return null;
    }
  }

  /** Stores shard `name`: encoded now (a copy, so the caller may go on using it), written in the background. */
  write(name: string, p: P): void {
    const { arrays, meta } = this.codec.encode(p);
    const tensors: Record<string, TensorEntry> = {};
    for (const [k, a] of Object.entries(arrays)) tensors[k] = { shape: [a.length], data: a };
    const bytes = encodeTensors(tensors, {
      format: SHARD_CACHE_FORMAT,
      version: SHARD_CACHE_VERSION,
      key: this.key,
      shard: name,
      rows: this.codec.rows(p),
      sha256: arraysDigest(arrays),
      content: JSON.stringify(meta),
    });
    const job = (async () => {
      if (!this.described) {
        this.described = true;
        await writeJsonAtomic(join(this.dir, 'key.json'), { key: this.key, content: this.content });
      }
      await writeFileAtomic(this.path(name), bytes);
    })()
      .catch(() => {})
      .finally(() => {
        if (this.writes.get(name) === job) this.writes.delete(name);
      });
    this.writes.set(name, job);
  }

  /** Waits for the writes under way. */
  async flush(): Promise<void> {
    await Promise.all(this.writes.values());
  }

  private decode(bytes: Uint8Array, name: string, rows: number): P {
    const { tensors, metadata: m } = decodeTensors(bytes, { copy: false });
    if (m['format'] !== SHARD_CACHE_FORMAT || m['version'] !== SHARD_CACHE_VERSION)
      throw new CacheFileError('another format');
    if (m['key'] !== this.key || m['shard'] !== name || m['rows'] !== rows)
      throw new CacheFileError('another shard');
    const arrays = new Map(Object.entries(tensors).map(([k, t]) => [k, t.data] as const));
    if (arraysDigest(arrays) !== m['sha256']) throw new CacheFileError('checksum');
    const content = typeof m['content'] === 'string' ? JSON.parse(m['content']) : null;
    if (content === null || typeof content !== 'object') throw new CacheFileError('no content');
    const p = this.codec.decode(arrays, content as Record<string, MetadataValue>);
    if (this.codec.rows(p) !== rows) throw new CacheFileError('rows');
    return p;
  }
}

// --- codecs -------------------------------------------------------------------------------------

function graphArrays(g: PackedGraphs): Record<string, TensorData> {
  const out: Record<string, TensorData> = {};
  for (const k of PACKED_GRAPH_ARRAYS) out[`graph.${k}`] = g[k];
  return out;
}

function f32(arrays: ReadonlyMap<string, TensorData>, name: string): Float32Array {
  const a = arrays.get(name);
  if (!(a instanceof Float32Array)) throw new CacheFileError(`${name}: missing or not F32`);
  return a;
}

function i32(arrays: ReadonlyMap<string, TensorData>, name: string): Int32Array {
  const a = arrays.get(name);
  if (!(a instanceof Int32Array)) throw new CacheFileError(`${name}: missing or not I32`);
  return a;
}

/** The packed graphs back, their offsets checked against the arrays they delimit. */
function graphsOf(arrays: ReadonlyMap<string, TensorData>, atomDim: number, bondDim: number): PackedGraphs {
  const g = {
    atomFeatures: f32(arrays, 'graph.atomFeatures'),
    bondFeatures: f32(arrays, 'graph.bondFeatures'),
    edgeIndex: i32(arrays, 'graph.edgeIndex'),
    revEdge: i32(arrays, 'graph.revEdge'),
    atomCodes: i32(arrays, 'graph.atomCodes'),
    bondCodes: i32(arrays, 'graph.bondCodes'),
    atomOffsets: i32(arrays, 'graph.atomOffsets'),
    edgeOffsets: i32(arrays, 'graph.edgeOffsets'),
    rows: i32(arrays, 'graph.rows'),
  };
  const n = g.rows.length;
  const atoms = g.atomOffsets[n] ?? -1;
  const edges = g.edgeOffsets[n] ?? -1;
  if (
    g.atomOffsets.length !== n + 1 ||
    g.edgeOffsets.length !== n + 1 ||
    g.atomFeatures.length !== atoms * atomDim ||
    g.bondFeatures.length !== edges * bondDim ||
    g.atomCodes.length !== 2 * atoms ||
    g.edgeIndex.length !== 2 * edges ||
    g.bondCodes.length !== 2 * edges ||
    g.revEdge.length !== edges
  )
    throw new CacheFileError('graph arrays do not fit their offsets');
  return g;
}

function num(meta: Readonly<Record<string, MetadataValue>>, key: string): number {
  const v = meta[key];
  if (typeof v !== 'number') throw new CacheFileError(`${key} is not a number`);
  return v;
}

/** Labels as I32 (Uint8 ones widened; narrowed back by their definition's storage). */
export const graphShardCodec: ShardCodec<PackedGraphShard> = {
  encode(p) {
    const arrays = graphArrays(p.packed);
    const labels = Object.entries(p.labels) as [MoleculeLabelName, LabelArray][];
    for (const [name, a] of labels)
      arrays[`label.${name}`] = a instanceof Int32Array ? a : Int32Array.from(a);
    arrays['invalid'] = p.invalid;
    const meta = {
      featurizer: p.featurizer,
      atomDim: p.atomDim,
      bondDim: p.bondDim,
      labels: labels.map(([n]) => n),
    };
    return { arrays, meta };
  },
  decode(arrays, meta) {
    const featurizer = meta['featurizer'];
    const names = meta['labels'];
    if (typeof featurizer !== 'string' || !Array.isArray(names)) throw new CacheFileError('bad metadata');
    const atomDim = num(meta, 'atomDim');
    const bondDim = num(meta, 'bondDim');
    const labels: Partial<Record<MoleculeLabelName, LabelArray>> = {};
    for (const name of names) {
      const def = MOLECULE_LABELS[name as MoleculeLabelName];
      if (!def) throw new CacheFileError(`unknown label ${String(name)}`);
      const stored = i32(arrays, `label.${name}`);
      const out = def.alloc(stored.length);
      out.set(stored);
      labels[name as MoleculeLabelName] = out;
    }
    return {
      featurizer,
      atomDim,
      bondDim,
      packed: graphsOf(arrays, atomDim, bondDim),
      labels: labels as MoleculeLabels,
      invalid: i32(arrays, 'invalid'),
    };
  },
  rows: (p) => p.packed.rows.length + p.invalid.length,
};

/** GROVER's shards: graphs, context-key indices, motif bits (as I32), invalid rows. */
export const groverShardCodec: ShardCodec<PackedShard> = {
  encode(p) {
    const arrays = graphArrays(p.packed);
    arrays['atomVocab'] = p.atomVocab;
    arrays['bondVocab'] = p.bondVocab;
    arrays['motifs'] = Int32Array.from(p.motifs);
    arrays['invalid'] = p.invalid;
    return { arrays, meta: { atomDim: p.atomDim, bondDim: p.bondDim } };
  },
  decode(arrays, meta) {
    const atomDim = num(meta, 'atomDim');
    const bondDim = num(meta, 'bondDim');
    const packed = graphsOf(arrays, atomDim, bondDim);
    const stored = i32(arrays, 'motifs');
    const atomVocab = i32(arrays, 'atomVocab');
    const bondVocab = i32(arrays, 'bondVocab');
    const n = packed.rows.length;
    if (
      stored.length !== n * MOTIF_COUNT ||
      atomVocab.length !== packed.atomOffsets[n] ||
      bondVocab.length !== packed.edgeOffsets[n]! >> 1
    )
      throw new CacheFileError('labels do not fit the graphs');
    const motifs = new Uint8Array(stored.length);
    motifs.set(stored);
    return { atomDim, bondDim, packed, atomVocab, bondVocab, motifs, invalid: i32(arrays, 'invalid') };
  },
  rows: (p) => p.packed.rows.length + p.invalid.length,
};

// --- the caches of the two pretraining paths -----------------------------------------------------

/** The generic trainer's cache: featurizer, labels and what each label reads (e.g. a vocabulary's digest). */
export async function graphShardCache(
  shardDir: string,
  index: ShardIndex,
  featurizer: string,
  labels: readonly MoleculeLabelName[],
  options: ObjectiveOptions,
): Promise<ShardCache<PackedGraphShard>> {
  const inputs = await Promise.all(labels.map((n) => MOLECULE_LABELS[n].inputs?.(options) ?? null));
  return new ShardCache(
    shardDir,
    index,
    { kind: 'graph', featurizer, labels: [...labels], inputs },
    graphShardCodec,
  );
}

/** GROVER's cache: its vocabulary pair's content. */
export function groverShardCache(
  shardDir: string,
  index: ShardIndex,
  vocab: { readonly atom: Vocab; readonly bond: Vocab },
): ShardCache<PackedShard> {
  const digest = (v: Vocab) => createHash('sha256').update(JSON.stringify(v.toJson())).digest('hex');
  return new ShardCache(
    shardDir,
    index,
    { kind: 'grover', featurizer: 'grover', vocab: { atom: digest(vocab.atom), bond: digest(vocab.bond) } },
    groverShardCodec,
  );
}
