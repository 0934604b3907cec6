/**
 * A featurized dataset: every valid molecule's MolGraph packed into flat typed arrays (local atom
 * indices per molecule, offsets delimiting molecules), plus the rows that failed to parse. It is
 * what `molgrove featurize` writes and the training loop reads, without re-running RDKit.
 *
 * File layout (.feat, little-endian): 8-byte magic "MGFEAT01", uint32 header length H, H bytes of
 * UTF-8 JSON header (see FeatHeader), zero padding to a multiple of 8, then the arrays named in
 * header.arrays, each at its byte offset from the start of the data section.
 */
import { MolgroveError } from '../errors.js';
import { VERSION } from '../version.js';
import { batchGraphs, type GraphBatch } from './batch.js';
import type { GraphArrays, MolGraph } from './molgraph.js';

export interface InvalidRow {
  readonly row: number;
  readonly smiles: string;
  readonly message: string;
}

/** Per molecule, edgeIndex holds local atom indices: its edges' sources, then their targets. */
export interface PackedGraphs extends GraphArrays {
  readonly atomOffsets: Int32Array;
  readonly edgeOffsets: Int32Array;
  /** The dataset row of each stored molecule. */
  readonly rows: Int32Array;
}

export interface FeatHeader {
  readonly format: 'molgrove-feat';
  readonly molgroveVersion: string;
  readonly featurizer: string;
  readonly atomDim: number;
  readonly bondDim: number;
  readonly numMolecules: number;
  readonly numRows: number;
  readonly source?: string;
  readonly sourceSha256?: string;
  readonly invalid: readonly InvalidRow[];
  readonly arrays: readonly {
    name: keyof PackedGraphs;
    dtype: 'f32' | 'i32';
    byteOffset: number;
    length: number;
  }[];
}

const MAGIC = 'MGFEAT01';
/** The typed arrays of PackedGraphs, in file order (.feat files, pretraining's shard cache). */
export const PACKED_GRAPH_ARRAYS: readonly (keyof PackedGraphs)[] = [
  'atomFeatures',
  'bondFeatures',
  'edgeIndex',
  'revEdge',
  'atomCodes',
  'bondCodes',
  'atomOffsets',
  'edgeOffsets',
  'rows',
];

export class FeaturizedDataset {
  constructor(
    readonly featurizer: string,
    readonly atomDim: number,
    readonly bondDim: number,
    readonly packed: PackedGraphs,
    readonly invalid: readonly InvalidRow[],
    /** Rows in the source table (valid + invalid). */
    readonly numRows: number,
    readonly source?: { path?: string; sha256?: string },
  ) {}

  get size(): number {
    return this.packed.rows.length;
  }

  get numAtoms(): number {
    return this.packed.atomOffsets[this.size] ?? 0;
  }

  get numEdges(): number {
    return this.packed.edgeOffsets[this.size] ?? 0;
  }

  /** Molecule i (a view onto the packed arrays, no copy). */
  graph(i: number): MolGraph {
    if (i < 0 || i >= this.size)
      throw new MolgroveError('SHAPE', `molecule ${i} out of range 0..${this.size - 1}`);
    const p = this.packed;
    const a0 = p.atomOffsets[i]!;
    const a1 = p.atomOffsets[i + 1]!;
    const e0 = p.edgeOffsets[i]!;
    const e1 = p.edgeOffsets[i + 1]!;
    return {
      numAtoms: a1 - a0,
      numEdges: e1 - e0,
      atomDim: this.atomDim,
      bondDim: this.bondDim,
      atomFeatures: p.atomFeatures.subarray(a0 * this.atomDim, a1 * this.atomDim),
      bondFeatures: p.bondFeatures.subarray(e0 * this.bondDim, e1 * this.bondDim),
      edgeIndex: p.edgeIndex.subarray(2 * e0, 2 * e1),
      revEdge: p.revEdge.subarray(e0, e1),
      atomCodes: p.atomCodes.subarray(2 * a0, 2 * a1),
      bondCodes: p.bondCodes.subarray(2 * e0, 2 * e1),
    };
  }

  batch(indices: ArrayLike<number>): GraphBatch {
    return batchGraphs(Array.from(indices, (i) => this.graph(i)));
  }

  /** Serializes to the .feat layout described at the top of this file. */
  toBytes(): Uint8Array {
    let byteOffset = 0;
    const arrays = PACKED_GRAPH_ARRAYS.map((name) => {
      const arr = this.packed[name];
      const entry = {
        name,
        dtype: arr instanceof Float32Array ? ('f32' as const) : ('i32' as const),
        byteOffset,
        length: arr.length,
      };
      byteOffset += arr.byteLength;
      return entry;
    });
    const header: FeatHeader = {
      format: 'molgrove-feat',
      molgroveVersion: VERSION,
      featurizer: this.featurizer,
      atomDim: this.atomDim,
      bondDim: this.bondDim,
      numMolecules: this.size,
      numRows: this.numRows,
      ...(this.source?.path === undefined ? {} : { source: this.source.path }),
      ...(this.source?.sha256 === undefined ? {} : { sourceSha256: this.source.sha256 }),
      invalid: this.invalid,
      arrays,
    };
    const json = new TextEncoder().encode(JSON.stringify(header));
    const dataStart = Math.ceil((12 + json.length) / 8) * 8;
    const out = new Uint8Array(dataStart + byteOffset);
    out.set(new TextEncoder().encode(MAGIC), 0);
    new DataView(out.buffer).setUint32(8, json.length, true);
    out.set(json, 12);
    for (const a of arrays) {
      const arr = this.packed[a.name];
      out.set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), dataStart + a.byteOffset);
    }
    return out;
  }

  static fromBytes(bytes: Uint8Array, where = 'feature file'): FeaturizedDataset {
    const bad = (why: string) => new MolgroveError('IO', `${where} is not a molgrove .feat file: ${why}`);
    if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw bad('bad magic');
    const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
    let header: FeatHeader;
    try {
      header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength))) as FeatHeader;
    } catch {
      throw bad('unreadable header');
    }
    const dataStart = Math.ceil((12 + headerLength) / 8) * 8;
    // Copy into a fresh, aligned buffer (typed-array views need 4-byte alignment; a Node Buffer's
    // slice() would share the pool's memory instead of copying).
    const data = new Uint8Array(bytes.length - dataStart);
    data.set(bytes.subarray(dataStart));
    const arrays: Partial<Record<keyof PackedGraphs, Float32Array | Int32Array>> = {};
    for (const a of header.arrays) {
      if (a.byteOffset + a.length * 4 > data.byteLength) throw bad(`array ${a.name} is truncated`);
      arrays[a.name] =
        a.dtype === 'f32'
          ? new Float32Array(data.buffer, a.byteOffset, a.length)
          : new Int32Array(data.buffer, a.byteOffset, a.length);
    }
    for (const name of PACKED_GRAPH_ARRAYS) if (!arrays[name]) throw bad(`array ${name} is missing`);
    const source = {
      ...(header.source === undefined ? {} : { path: header.source }),
      ...(header.sourceSha256 === undefined ? {} : { sha256: header.sourceSha256 }),
    };
    return new FeaturizedDataset(
      header.featurizer,
      header.atomDim,
      header.bondDim,
      arrays as unknown as PackedGraphs,
      header.invalid,
      header.numRows,
      source,
    );
  }
}

/** Packs MolGraphs (in order) with the dataset row of each. */
export function packGraphs(graphs: readonly MolGraph[], rows: readonly number[]): PackedGraphs {
  let numAtoms = 0;
  let numEdges = 0;
  const atomOffsets = new Int32Array(graphs.length + 1);
  const edgeOffsets = new Int32Array(graphs.length + 1);
  graphs.forEach((g, i) => {
    numAtoms += g.numAtoms;
    numEdges += g.numEdges;
    atomOffsets[i + 1] = numAtoms;
    edgeOffsets[i + 1] = numEdges;
  });
  const dA = graphs[0]?.atomDim ?? 0;
  const dB = graphs[0]?.bondDim ?? 0;
  const packed: PackedGraphs = {
    atomFeatures: new Float32Array(numAtoms * dA),
    bondFeatures: new Float32Array(numEdges * dB),
    edgeIndex: new Int32Array(2 * numEdges),
    revEdge: new Int32Array(numEdges),
    atomCodes: new Int32Array(2 * numAtoms),
    bondCodes: new Int32Array(2 * numEdges),
    atomOffsets,
    edgeOffsets,
    rows: Int32Array.from(rows),
  };
  graphs.forEach((g, i) => {
    const a0 = atomOffsets[i]!;
    const e0 = edgeOffsets[i]!;
    packed.atomFeatures.set(g.atomFeatures, a0 * dA);
    packed.bondFeatures.set(g.bondFeatures, e0 * dB);
    packed.edgeIndex.set(g.edgeIndex, 2 * e0);
    packed.revEdge.set(g.revEdge, e0);
    packed.atomCodes.set(g.atomCodes, 2 * a0);
    packed.bondCodes.set(g.bondCodes, 2 * e0);
  });
  return packed;
}

/** Concatenates packed chunks (in order), shifting their offsets. */
export function concatPacked(chunks: readonly PackedGraphs[]): PackedGraphs {
  const offsets = (key: 'atomOffsets' | 'edgeOffsets'): Int32Array => {
    const total = chunks.reduce((s, c) => s + c.rows.length, 0);
    const out = new Int32Array(total + 1);
    let base = 0;
    let k = 0;
    for (const c of chunks) {
      const offs = c[key];
      for (let i = 0; i < c.rows.length; i++) out[k++] = base + offs[i]!;
      base += offs[c.rows.length]!;
    }
    out[k] = base;
    return out;
  };
  const cat = (
    name: Exclude<keyof PackedGraphs, 'atomOffsets' | 'edgeOffsets'>,
  ): Float32Array | Int32Array => {
    const parts = chunks.map((c) => c[name]);
    const length = parts.reduce((s, p) => s + p.length, 0);
    const out = parts[0] instanceof Float32Array ? new Float32Array(length) : new Int32Array(length);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };
  return {
    atomFeatures: cat('atomFeatures') as Float32Array,
    bondFeatures: cat('bondFeatures') as Float32Array,
    edgeIndex: cat('edgeIndex') as Int32Array,
    revEdge: cat('revEdge') as Int32Array,
    atomCodes: cat('atomCodes') as Int32Array,
    bondCodes: cat('bondCodes') as Int32Array,
    atomOffsets: offsets('atomOffsets'),
    edgeOffsets: offsets('edgeOffsets'),
    rows: cat('rows') as Int32Array,
  };
}
