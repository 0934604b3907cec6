/**
 * MolGraph: one molecule as typed arrays, the contract every featurizer produces and every encoder
 * consumes (batched as GraphBatch, see batch.ts). Bond k of RDKit becomes directed edges 2k
 * (begin→end) and 2k+1 (end→begin), so the reverse of edge e is e ^ 1.
 */
import type { Featurizer } from '../chem/featurizers/index.js';
import { huAtomCode, huBondCode } from '../chem/featurizers/index.js';
import { type PerceivedMol, perceive } from '../chem/perception.js';
import { type MolView, withMol } from '../chem/rdkit.js';

/** The typed arrays every graph container holds (one molecule, a batch, a packed dataset). */
export interface GraphArrays {
  /** atoms × atomDim, row-major. */
  readonly atomFeatures: Float32Array;
  /** edges × bondDim, row-major; both directions of a bond carry the same features. */
  readonly bondFeatures: Float32Array;
  /** 2 × edges: the source atom of each edge, then the target atom of each edge. */
  readonly edgeIndex: Int32Array;
  /** edges: index of the reverse edge. */
  readonly revEdge: Int32Array;
  /** atoms × 2: Hu et al.'s (atomic-number index, chirality) codes, used by pretraining tasks. */
  readonly atomCodes: Int32Array;
  /** edges × 2: Hu et al.'s (bond type, direction) codes. */
  readonly bondCodes: Int32Array;
}

export interface MolGraph extends GraphArrays {
  readonly numAtoms: number;
  /** Directed edges: twice the number of bonds. */
  readonly numEdges: number;
  readonly atomDim: number;
  readonly bondDim: number;
}

/** Builds a MolGraph from an already-perceived molecule. */
export function buildMolGraph(view: MolView, mol: PerceivedMol, featurizer: Featurizer): MolGraph {
  const n = mol.atoms.length;
  const m = mol.bonds.length;
  const { atomDim, bondDim } = featurizer;
  const atomFeatures = new Float32Array(n * atomDim);
  const ctx = featurizer.prepare ? featurizer.prepare(view, mol) : {};
  const atomCodes = new Int32Array(n * 2);
  for (let i = 0; i < n; i++) {
    featurizer.atom(mol, i, atomFeatures, i * atomDim, ctx);
    const [z, chir] = huAtomCode(mol, i);
    atomCodes[2 * i] = z;
    atomCodes[2 * i + 1] = chir;
  }
  const bondFeatures = new Float32Array(2 * m * bondDim);
  const edgeIndex = new Int32Array(4 * m);
  const revEdge = new Int32Array(2 * m);
  const bondCodes = new Int32Array(4 * m);
  for (let k = 0; k < m; k++) {
    const b = mol.bonds[k]!;
    const e = 2 * k;
    featurizer.bond(mol, k, bondFeatures, e * bondDim);
    bondFeatures.copyWithin((e + 1) * bondDim, e * bondDim, (e + 1) * bondDim);
    edgeIndex[e] = b.begin;
    edgeIndex[e + 1] = b.end;
    edgeIndex[2 * m + e] = b.end;
    edgeIndex[2 * m + e + 1] = b.begin;
    revEdge[e] = e + 1;
    revEdge[e + 1] = e;
    const [t, d] = huBondCode(mol, k);
    bondCodes[2 * e] = t;
    bondCodes[2 * e + 1] = d;
    bondCodes[2 * e + 2] = t;
    bondCodes[2 * e + 3] = d;
  }
  return {
    numAtoms: n,
    numEdges: 2 * m,
    atomDim,
    bondDim,
    atomFeatures,
    bondFeatures,
    edgeIndex,
    revEdge,
    atomCodes,
    bondCodes,
  };
}

/** Parses and featurizes one SMILES (RDKit must be loaded). Throws InvalidSmilesError. */
export function featurizeSmiles(
  smiles: string,
  featurizer: Featurizer,
  where?: { row?: number; source?: string },
): MolGraph {
  return withMol(smiles, (view) => buildMolGraph(view, perceive(view.record(), smiles), featurizer), where);
}
