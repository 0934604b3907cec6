/**
 * GraphBatch: many MolGraphs concatenated for one forward pass (as PyG's Batch / chemprop's
 * BatchMolGraph, without the padding row). Edge indices are global atom indices; `graphIndex`
 * maps each atom to its molecule and `atomOffsets`/`edgeOffsets` delimit each molecule.
 */
import { MolgroveError } from '../errors.js';
import type { GraphArrays, MolGraph } from './molgraph.js';

/** Edge indices and reverse-edge pointers are global (offset by each molecule's first atom/edge). */
export interface GraphBatch extends GraphArrays {
  readonly numGraphs: number;
  readonly numAtoms: number;
  readonly numEdges: number;
  readonly atomDim: number;
  readonly bondDim: number;
  /** numAtoms: the graph each atom belongs to. */
  readonly graphIndex: Int32Array;
  /** numGraphs + 1: first atom of each graph (and the total at the end). */
  readonly atomOffsets: Int32Array;
  /** numGraphs + 1: first edge of each graph. */
  readonly edgeOffsets: Int32Array;
}

export function batchGraphs(graphs: readonly MolGraph[]): GraphBatch {
  if (graphs.length === 0) throw new MolgroveError('SHAPE', 'cannot batch zero graphs');
  const first = graphs[0]!;
  const { atomDim, bondDim } = first;
  let numAtoms = 0;
  let numEdges = 0;
  const atomOffsets = new Int32Array(graphs.length + 1);
  const edgeOffsets = new Int32Array(graphs.length + 1);
  graphs.forEach((g, i) => {
    if (g.atomDim !== atomDim || g.bondDim !== bondDim) {
      throw new MolgroveError(
        'SHAPE',
        `graph ${i} has features ${g.atomDim}/${g.bondDim}, expected ${atomDim}/${bondDim} (mixed featurizers?)`,
      );
    }
    numAtoms += g.numAtoms;
    numEdges += g.numEdges;
    atomOffsets[i + 1] = numAtoms;
    edgeOffsets[i + 1] = numEdges;
  });
  const atomFeatures = new Float32Array(numAtoms * atomDim);
  const bondFeatures = new Float32Array(numEdges * bondDim);
  const edgeIndex = new Int32Array(2 * numEdges);
  const revEdge = new Int32Array(numEdges);
  const atomCodes = new Int32Array(2 * numAtoms);
  const bondCodes = new Int32Array(2 * numEdges);
  const graphIndex = new Int32Array(numAtoms);
  graphs.forEach((g, i) => {
    const a0 = atomOffsets[i]!;
    const e0 = edgeOffsets[i]!;
    atomFeatures.set(g.atomFeatures, a0 * atomDim);
    bondFeatures.set(g.bondFeatures, e0 * bondDim);
    atomCodes.set(g.atomCodes, 2 * a0);
    bondCodes.set(g.bondCodes, 2 * e0);
    graphIndex.fill(i, a0, a0 + g.numAtoms);
    for (let e = 0; e < g.numEdges; e++) {
      edgeIndex[e0 + e] = g.edgeIndex[e]! + a0;
      edgeIndex[numEdges + e0 + e] = g.edgeIndex[g.numEdges + e]! + a0;
      revEdge[e0 + e] = g.revEdge[e]! + e0;
    }
  });
  return {
    numGraphs: graphs.length,
    numAtoms,
    numEdges,
    atomDim,
    bondDim,
    atomFeatures,
    bondFeatures,
    edgeIndex,
    revEdge,
    atomCodes,
    bondCodes,
    graphIndex,
    atomOffsets,
    edgeOffsets,
  };
}
