/**
 * Induced subgraphs of a GraphBatch: the kept atoms of each molecule with the bonds between them
 * (and, optionally, only the bonds kept), as a new batch. Pretraining objectives build their inputs
 * with it: contextpred's k-hop substructures and context rings, GraphCL's node dropping, edge
 * dropping and subgraph views. Molecules left with no atom are dropped from the new batch;
 * `graphs` says which ones stayed.
 */

import { MolgroveError } from '../errors.js';
import type { GraphBatch } from './batch.js';

export interface Subgraphs {
  readonly batch: GraphBatch;
  /** For each graph of `batch`, its index in the source batch. */
  readonly graphs: Int32Array;
  /** For each source atom, its index in `batch`, or −1 when dropped. */
  readonly atomMap: Int32Array;
}

/**
 * Keeps the atoms with keepAtom[a] ≠ 0 and the bonds whose two atoms are kept (and, with
 * `keepBond`, whose keepBond[b] ≠ 0, b = edge / 2: edges 2b and 2b + 1 are a bond's two directions,
 * as MolGraph lays them out). Atom, bond and code rows are copied; order is preserved.
 */
export function subgraphBatch(source: GraphBatch, keepAtom: Uint8Array, keepBond?: Uint8Array): Subgraphs {
  const n = source.numAtoms;
  const m = source.numEdges;
  if (keepAtom.length !== n)
    throw new MolgroveError('SHAPE', `subgraph: ${keepAtom.length} atom flags for ${n} atoms`);
  if (keepBond && keepBond.length !== m / 2)
    throw new MolgroveError('SHAPE', `subgraph: ${keepBond.length} bond flags for ${m / 2} bonds`);
  const atomMap = new Int32Array(n).fill(-1);
  const graphs: number[] = [];
  const atomOffsets: number[] = [0];
  const edgeOffsets: number[] = [0];
  const keptEdges: number[] = [];
  let atoms = 0;
  for (let g = 0; g < source.numGraphs; g++) {
    const first = atoms;
    for (let a = source.atomOffsets[g]!; a < source.atomOffsets[g + 1]!; a++)
      if (keepAtom[a]) atomMap[a] = atoms++;
    if (atoms === first) continue;
    for (let e = source.edgeOffsets[g]!; e < source.edgeOffsets[g + 1]!; e += 2) {
      if (keepBond && !keepBond[e >> 1]) continue;
      if (atomMap[source.edgeIndex[e]!]! < 0 || atomMap[source.edgeIndex[m + e]!]! < 0) continue;
      keptEdges.push(e, e + 1);
    }
    graphs.push(g);
    atomOffsets.push(atoms);
    edgeOffsets.push(keptEdges.length);
  }
  const { atomDim, bondDim } = source;
  const ne = keptEdges.length;
  const atomFeatures = new Float32Array(atoms * atomDim);
  const atomCodes = new Int32Array(2 * atoms);
  const graphIndex = new Int32Array(atoms);
  for (let a = 0; a < n; a++) {
    const b = atomMap[a]!;
    if (b < 0) continue;
    atomFeatures.set(source.atomFeatures.subarray(a * atomDim, (a + 1) * atomDim), b * atomDim);
    atomCodes[2 * b] = source.atomCodes[2 * a]!;
    atomCodes[2 * b + 1] = source.atomCodes[2 * a + 1]!;
  }
  for (let g = 0; g < graphs.length; g++) graphIndex.fill(g, atomOffsets[g]!, atomOffsets[g + 1]!);
  const bondFeatures = new Float32Array(ne * bondDim);
  const bondCodes = new Int32Array(2 * ne);
  const edgeIndex = new Int32Array(2 * ne);
  const revEdge = new Int32Array(ne);
  for (let k = 0; k < ne; k++) {
    const e = keptEdges[k]!;
    bondFeatures.set(source.bondFeatures.subarray(e * bondDim, (e + 1) * bondDim), k * bondDim);
    bondCodes[2 * k] = source.bondCodes[2 * e]!;
    bondCodes[2 * k + 1] = source.bondCodes[2 * e + 1]!;
    edgeIndex[k] = atomMap[source.edgeIndex[e]!]!;
    edgeIndex[ne + k] = atomMap[source.edgeIndex[m + e]!]!;
    // Bonds are kept whole, so a bond's two directions stay neighbours: 2j ↔ 2j + 1.
    revEdge[k] = k ^ 1;
  }
  return {
    batch: {
      numGraphs: graphs.length,
      numAtoms: atoms,
      numEdges: ne,
      atomDim,
      bondDim,
      atomFeatures,
      bondFeatures,
      edgeIndex,
      revEdge,
      atomCodes,
      bondCodes,
      graphIndex,
      atomOffsets: Int32Array.from(atomOffsets),
      edgeOffsets: Int32Array.from(edgeOffsets),
    },
    graphs: Int32Array.from(graphs),
    atomMap,
  };
}
