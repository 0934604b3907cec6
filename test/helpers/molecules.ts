// Small molecules for tests: a labelled CSV for short fine-tuning runs, and molecules rearranged
// for invariance tests (a model's per-atom outputs must follow the atoms, whatever order the atoms
// and bonds are listed in).
import { writeFileSync } from 'node:fs';
import type { MolGraph } from '../../src/data/molgraph.js';

/** Twenty small molecules, aromatic and not. */
export const SMALL_MOLECULES: readonly string[] = [
  'c1ccccc1O',
  'CCO',
  'CC(=O)Nc1ccc(O)cc1',
  'CCN(CC)CC',
  'c1ccncc1',
  'C1CCCCC1',
  'Cc1ccccc1',
  'CC(C)O',
  'c1ccc2ccccc2c1',
  'CCCC',
  'Oc1ccc(Cl)cc1',
  'CC(=O)O',
  'Nc1ccccc1',
  'CC(=O)OC',
  'c1ccoc1',
  'C1CCOC1',
  'c1ccsc1',
  'CCOCC',
  'COc1ccccc1',
  'NCCO',
];

/** Writes the first `count` SMALL_MOLECULES as a CSV with one task, `aromatic` (1 when aromatic). */
export function writeAromaticCsv(path: string, count = SMALL_MOLECULES.length): string {
  const rows = SMALL_MOLECULES.slice(0, count).map((s) => `${s},${/[cnos]/.test(s) ? 1 : 0}`);
  writeFileSync(path, `smiles,aromatic\n${rows.join('\n')}\n`);
  return path;
}

/** The same molecule with its atoms renumbered (old atom i → perm[i]) and its bonds listed in reverse. */
export function permuteMolecule(g: MolGraph, perm: number[]): MolGraph {
  const n = g.numAtoms;
  const m = g.numEdges;
  const atomCodes = new Int32Array(2 * n);
  const atomFeatures = new Float32Array(g.atomFeatures.length);
  for (let i = 0; i < n; i++) {
    const j = perm[i]!;
    atomCodes.set(g.atomCodes.subarray(2 * i, 2 * i + 2), 2 * j);
    atomFeatures.set(g.atomFeatures.subarray(i * g.atomDim, (i + 1) * g.atomDim), j * g.atomDim);
  }
  // Bond k (edges 2k, 2k+1) moves to slot nb−1−k with its two directions swapped.
  const nb = m / 2;
  const newEdge = (e: number): number => 2 * (nb - 1 - (e >> 1)) + (1 - (e & 1));
  const edgeIndex = new Int32Array(2 * m);
  const revEdge = new Int32Array(m);
  const bondFeatures = new Float32Array(g.bondFeatures.length);
  const bondCodes = new Int32Array(2 * m);
  for (let e = 0; e < m; e++) {
    const f = newEdge(e);
    edgeIndex[f] = perm[g.edgeIndex[e]!]!;
    edgeIndex[m + f] = perm[g.edgeIndex[m + e]!]!;
    revEdge[f] = newEdge(g.revEdge[e]!);
    bondFeatures.set(g.bondFeatures.subarray(e * g.bondDim, (e + 1) * g.bondDim), f * g.bondDim);
    bondCodes.set(g.bondCodes.subarray(2 * e, 2 * e + 2), 2 * f);
  }
  return { ...g, atomCodes, atomFeatures, edgeIndex, revEdge, bondFeatures, bondCodes };
}
