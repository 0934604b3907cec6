// GROVER's graph encoding (grover/data/molgraph.py, BatchMolGraph) over molgrove's GraphBatch.
//
// GROVER keeps, for a batch of molecules:
//   f_atoms  [atoms, 151]          the atom features (the 'grover' featurizer preset)
//   f_bonds  [directed bonds, 165] concat(f_atoms[source atom], bond features (14))
//   b2a      source atom of each directed bond
//   b2revb   the reverse directed bond
//   a2b      the directed bonds entering each atom (padded to the largest in-degree with 0)
//   a2a      = b2a[a2b], the neighbours of each atom
// plus a zero padding row at index 0 of every array. Here the rows are the batch's own atoms and
// directed edges (no padding row): directed edges 2k and 2k+1 are the two directions of bond k
// (src/data/molgraph.ts), the reverse of edge e is revEdge[e] (= e ^ 1 within a molecule).
// GROVER's padding row is NOT an inert detail in the released code (its row 0 carries non-zero
// values after the MTBlocks and is summed into every atom with fewer neighbours than the batch's
// maximum); the encoder can reproduce that with `padding: 'grover'`, see encoder.ts. The index lists
// it needs are built here (`paddedTopology`).
//
// Masking (for pretraining experiments; GROVER's released collator masks nothing): `maskAtoms`
// zeroes a masked atom's 151 features wherever they appear — its row of fAtoms and the atom part
// of every directed bond leaving it in fBonds. `maskBonds` zeroes the 14 bond features of a bond,
// always in BOTH directions: it may be given per undirected bond (length numEdges / 2, bond k =
// edges 2k, 2k+1) or per directed edge (length numEdges; flagging either direction masks both).

import type { GraphBatch } from '../../data/batch.js';
import { ConfigError } from '../../errors.js';
import * as T from '../../tensor/index.js';

/** GROVER's atom feature width (get_atom_fdim()). */
export const GROVER_ATOM_DIM = 151;
/** GROVER's bond feature width (BOND_FDIM). */
export const GROVER_BOND_DIM = 14;
/** The edge-view input width: source-atom features + bond features. */
export const GROVER_EDGE_DIM = GROVER_ATOM_DIM + GROVER_BOND_DIM;

export interface GroverGraphOptions {
  /** numAtoms flags (non-zero = masked). */
  readonly maskAtoms?: Uint8Array;
  /** numEdges / 2 flags (per bond) or numEdges flags (per directed edge); both directions are masked. */
  readonly maskBonds?: Uint8Array;
}

export interface GroverGraph {
  readonly numGraphs: number;
  readonly numAtoms: number;
  /** Directed bonds (twice the number of chemical bonds). */
  readonly numBonds: number;
  /** [numAtoms, 151]. */
  readonly fAtoms: T.Tensor;
  /** [numBonds, 165] = concat(fAtoms[b2a[b]], bond features of b). */
  readonly fBonds: T.Tensor;
  /** numBonds: source atom of each directed bond (GROVER's b2a). */
  readonly b2a: Int32Array;
  /** numBonds: target atom of each directed bond (= b2a[b2revb]). */
  readonly b2tgt: Int32Array;
  /** numBonds: the reverse directed bond (GROVER's b2revb). */
  readonly b2revb: Int32Array;
  /** CSR of the bonds entering each atom: bonds a2bList[a2bOffsets[a] .. a2bOffsets[a+1]) (GROVER's a2b). */
  readonly a2bOffsets: Int32Array;
  readonly a2bList: Int32Array;
  /** numAtoms: molecule of each atom. */
  readonly atomGraph: Int32Array;
  /** numBonds: molecule of each directed bond. */
  readonly bondGraph: Int32Array;
  /** numGraphs + 1: first atom of each molecule (GROVER's a_scope). */
  readonly atomOffsets: Int32Array;
  /** numGraphs + 1: first directed bond of each molecule (GROVER's b_scope). */
  readonly bondOffsets: Int32Array;
  /** GROVER's max_num_bonds: the largest in-degree in the batch, at least 1. */
  readonly maxNumBonds: number;
}

function bondMask(batch: GraphBatch, mask: Uint8Array): Uint8Array {
  const m = batch.numEdges;
  const out = new Uint8Array(m);
  if (mask.length === m) {
    for (let e = 0; e < m; e++) {
      if (mask[e]) {
        out[e] = 1;
        out[batch.revEdge[e]!] = 1;
      }
    }
  } else if (2 * mask.length === m) {
    for (let k = 0; k < mask.length; k++) {
      if (mask[k]) {
        out[2 * k] = 1;
        out[2 * k + 1] = 1;
      }
    }
  } else {
    throw new ConfigError(
      `maskBonds has ${mask.length} flags; expected ${m / 2} (bonds) or ${m} (directed bonds)`,
    );
  }
  return out;
}

/** Builds GROVER's inputs and index maps from a batch featurized with the 'grover' preset. */
export function groverGraph(batch: GraphBatch, options: GroverGraphOptions = {}): GroverGraph {
  const { numAtoms: n, numEdges: m, atomDim, bondDim } = batch;
  if (atomDim !== GROVER_ATOM_DIM || bondDim !== GROVER_BOND_DIM) {
    throw new ConfigError(
      `GROVER needs the 'grover' featurizer (${GROVER_ATOM_DIM}-d atoms, ${GROVER_BOND_DIM}-d bonds); ` +
        `the batch has ${atomDim}/${bondDim}`,
    );
  }
  const maskA = options.maskAtoms;
  if (maskA && maskA.length !== n)
    throw new ConfigError(`maskAtoms has ${maskA.length} flags for ${n} atoms`);
  const maskB = options.maskBonds ? bondMask(batch, options.maskBonds) : null;

  const fa = new Float32Array(n * atomDim);
  fa.set(batch.atomFeatures);
  if (maskA) for (let a = 0; a < n; a++) if (maskA[a]) fa.fill(0, a * atomDim, (a + 1) * atomDim);

  const b2a = batch.edgeIndex.slice(0, m);
  const b2tgt = batch.edgeIndex.slice(m, 2 * m);
  const b2revb = batch.revEdge.slice();
  const W = GROVER_EDGE_DIM;
  const fb = new Float32Array(m * W);
  for (let b = 0; b < m; b++) {
    const u = b2a[b]!;
    fb.set(fa.subarray(u * atomDim, (u + 1) * atomDim), b * W);
    if (!maskB?.[b]) {
      fb.set(batch.bondFeatures.subarray(b * bondDim, (b + 1) * bondDim), b * W + atomDim);
    }
  }

  // Incoming bonds per atom (CSR), in bond order as GROVER's a2b lists them.
  const a2bOffsets = new Int32Array(n + 1);
  for (let b = 0; b < m; b++) a2bOffsets[b2tgt[b]! + 1]!++;
  for (let a = 0; a < n; a++) a2bOffsets[a + 1]! += a2bOffsets[a]!;
  const fill = a2bOffsets.slice(0, n);
  const a2bList = new Int32Array(m);
  for (let b = 0; b < m; b++) a2bList[fill[b2tgt[b]!]!++] = b;
  let maxNumBonds = 1;
  for (let a = 0; a < n; a++) maxNumBonds = Math.max(maxNumBonds, a2bOffsets[a + 1]! - a2bOffsets[a]!);

  const bondGraph = new Int32Array(m);
  for (let g = 0; g < batch.numGraphs; g++) {
    bondGraph.fill(g, batch.edgeOffsets[g]!, batch.edgeOffsets[g + 1]!);
  }
  return {
    numGraphs: batch.numGraphs,
    numAtoms: n,
    numBonds: m,
    fAtoms: T.tensor(fa, [n, atomDim]),
    fBonds: T.tensor(fb, [m, W]),
    b2a,
    b2tgt,
    b2revb,
    a2bOffsets,
    a2bList,
    atomGraph: batch.graphIndex.slice(),
    bondGraph,
    atomOffsets: batch.atomOffsets.slice(),
    bondOffsets: batch.edgeOffsets.slice(),
    maxNumBonds,
  };
}

/**
 * The row space the encoder computes in. With `padded`, row 0 is GROVER's padding row (atoms and
 * bonds shift by one) and the neighbour sums include GROVER's padding slots: every atom sums
 * maxNumBonds entries, the missing ones pointing at row 0 (and row 0 itself sums maxNumBonds copies
 * of row 0), exactly as `select_neighbor_and_aggregate` over the zero-padded a2b / a2a does.
 */
export interface Topology {
  readonly padded: boolean;
  /** Atom and bond rows (numAtoms + 1 / numBonds + 1 when padded). */
  readonly nA: number;
  readonly nB: number;
  readonly fAtoms: T.Tensor;
  readonly fBonds: T.Tensor;
  /** Σ over a2a: pairs (source atom row → destination atom row). */
  readonly a2aSrc: Int32Array;
  readonly a2aDst: Int32Array;
  /** Σ over a2b: pairs (source bond row → destination atom row). */
  readonly a2bSrc: Int32Array;
  readonly a2bDst: Int32Array;
  /** Per bond row: source atom row, target atom row (b2a[b2revb]), reverse bond row. */
  readonly b2a: Int32Array;
  readonly b2tgt: Int32Array;
  readonly b2revb: Int32Array;
  /** Attention groups (molecules; GROVER's padding row is a group of its own). */
  readonly atomGroups: Groups;
  readonly bondGroups: Groups;
}

/** Rows grouped into contiguous, ordered segments: group g = rows [offsets[g], offsets[g+1]). */
export interface Groups {
  readonly count: number;
  readonly offsets: Int32Array;
}

function shiftOffsets(o: Int32Array, padded: boolean): Int32Array {
  if (!padded) return o;
  const out = new Int32Array(o.length + 1);
  for (let i = 0; i < o.length; i++) out[i + 1] = o[i]! + 1;
  return out;
}

function padRows(x: T.Tensor): T.Tensor {
  return T.concat([T.zeros([1, x.shape[1]!]), x], 0);
}

/** Index lists for the encoder; `padded` reproduces GROVER's index-0 padding row. */
export function topology(g: GroverGraph, padded: boolean): Topology {
  const n = g.numAtoms;
  const m = g.numBonds;
  const p = padded ? 1 : 0;
  const nA = n + p;
  const nB = m + p;
  const b2a = new Int32Array(nB);
  const b2tgt = new Int32Array(nB);
  const b2revb = new Int32Array(nB);
  for (let b = 0; b < m; b++) {
    b2a[b + p] = g.b2a[b]! + p;
    b2tgt[b + p] = g.b2tgt[b]! + p;
    b2revb[b + p] = g.b2revb[b]! + p;
  }
  let a2aSrc: Int32Array;
  let a2aDst: Int32Array;
  let a2bSrc: Int32Array;
  let a2bDst: Int32Array;
  if (!padded) {
    a2bSrc = g.a2bList.slice();
    a2bDst = new Int32Array(m);
    for (let a = 0; a < n; a++) a2bDst.fill(a, g.a2bOffsets[a]!, g.a2bOffsets[a + 1]!);
    a2aSrc = new Int32Array(m);
    for (let i = 0; i < m; i++) a2aSrc[i] = g.b2a[a2bSrc[i]!]!;
    a2aDst = a2bDst.slice();
  } else {
    const K = g.maxNumBonds;
    a2bSrc = new Int32Array(nA * K);
    a2bDst = new Int32Array(nA * K);
    for (let a = 0; a < nA; a++) a2bDst.fill(a, a * K, (a + 1) * K);
    for (let a = 0; a < n; a++) {
      const s = g.a2bOffsets[a]!;
      const e = g.a2bOffsets[a + 1]!;
      for (let j = s; j < e; j++) a2bSrc[(a + 1) * K + (j - s)] = g.a2bList[j]! + 1;
    }
    a2aSrc = new Int32Array(nA * K);
    for (let i = 0; i < a2bSrc.length; i++) a2aSrc[i] = b2a[a2bSrc[i]!]!;
    a2aDst = a2bDst.slice();
  }
  return {
    padded,
    nA,
    nB,
    fAtoms: padded ? padRows(g.fAtoms) : g.fAtoms,
    fBonds: padded ? padRows(g.fBonds) : g.fBonds,
    a2aSrc,
    a2aDst,
    a2bSrc,
    a2bDst,
    b2a,
    b2tgt,
    b2revb,
    atomGroups: { count: g.numGraphs + p, offsets: shiftOffsets(g.atomOffsets, padded) },
    bondGroups: { count: g.numGraphs + p, offsets: shiftOffsets(g.bondOffsets, padded) },
  };
}
