// What the encoders read from a GraphBatch, derived once per batch: edge ends as separate arrays,
// Hu et al.'s integer codes split by column, and the edge list with one self loop per atom (added
// by Hu et al.'s convolutions in every layer, with bond type 4 and direction 0). With float
// features (rich/chemprop presets) a self loop gets an all-zero bond row plus a "self loop" flag.

import type { GraphBatch } from '../data/batch.js';

/** Hu et al.'s bond-type code of a self loop (SINGLE, DOUBLE, TRIPLE, AROMATIC are 0–3). */
export const SELF_LOOP_BOND_TYPE = 4;
/** Bond-type rows in Hu et al.'s edge embeddings: 4 types, self loop, mask token. */
export const NUM_BOND_TYPES = 6;
/** Bond-direction rows: NONE, ENDUPRIGHT, ENDDOWNRIGHT. */
export const NUM_BOND_DIRECTIONS = 3;
/** Atom-type rows: 118 elements (index = Z − 1), spare slot 118, mask token 119. */
export const NUM_ATOM_TYPES = 120;
/** Chirality rows (molgrove keeps CHI_OTHER separate from Hu et al.'s 3). */
export const NUM_CHIRALITY_TAGS = 4;

export interface EdgeList {
  readonly src: Int32Array;
  readonly dst: Int32Array;
  readonly bondType: Int32Array;
  readonly bondDir: Int32Array;
}

export class GraphView {
  readonly numNodes: number;
  readonly numGraphs: number;
  readonly graphIndex: Int32Array;
  readonly atomType: Int32Array;
  readonly chirality: Int32Array;
  /** Directed edges of the molecules (both directions of each bond). */
  readonly edges: EdgeList;
  private loops: EdgeList | null = null;
  private loopFeatures: Float32Array | null = null;

  constructor(readonly batch: GraphBatch) {
    const n = batch.numAtoms;
    const m = batch.numEdges;
    this.numNodes = n;
    this.numGraphs = batch.numGraphs;
    this.graphIndex = batch.graphIndex;
    this.atomType = column(batch.atomCodes, n, 0);
    this.chirality = column(batch.atomCodes, n, 1);
    this.edges = {
      src: batch.edgeIndex.subarray(0, m),
      dst: batch.edgeIndex.subarray(m, 2 * m),
      bondType: column(batch.bondCodes, m, 0),
      bondDir: column(batch.bondCodes, m, 1),
    };
  }

  /** The edges plus one self loop per atom (bond type 4, direction 0), appended after them. */
  get edgesWithSelfLoops(): EdgeList {
    if (this.loops) return this.loops;
    const n = this.numNodes;
    const m = this.edges.src.length;
    const src = new Int32Array(m + n);
    const dst = new Int32Array(m + n);
    const bondType = new Int32Array(m + n);
    const bondDir = new Int32Array(m + n);
    src.set(this.edges.src);
    dst.set(this.edges.dst);
    bondType.set(this.edges.bondType);
    bondDir.set(this.edges.bondDir);
    for (let i = 0; i < n; i++) {
      src[m + i] = i;
      dst[m + i] = i;
      bondType[m + i] = SELF_LOOP_BOND_TYPE;
    }
    this.loops = { src, dst, bondType, bondDir };
    return this.loops;
  }

  /**
   * Bond features of `edgesWithSelfLoops`, [numEdges + numNodes, bondDim + 1]: each bond's row
   * with a trailing 0, then one row per self loop that is zero except for the trailing 1.
   */
  get bondFeaturesWithSelfLoops(): Float32Array {
    if (this.loopFeatures) return this.loopFeatures;
    const { bondDim, bondFeatures, numEdges: m } = this.batch;
    const w = bondDim + 1;
    const out = new Float32Array((m + this.numNodes) * w);
    for (let e = 0; e < m; e++) out.set(bondFeatures.subarray(e * bondDim, (e + 1) * bondDim), e * w);
    for (let i = 0; i < this.numNodes; i++) out[(m + i) * w + bondDim] = 1;
    this.loopFeatures = out;
    return out;
  }
}

function column(codes: Int32Array, rows: number, c: number): Int32Array {
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) out[i] = codes[2 * i + c]!;
  return out;
}
