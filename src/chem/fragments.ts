/**
 * RDKit's 85 fr_* functional-group counts (rdkit.Chem.Fragments): the number of unique SMARTS
 * matches of each pattern. Binarized, they are GROVER's motif (functional-group) labels.
 */
import { FRAGMENT_SMARTS } from './fragments-data.js';
import { type MolView, Smarts, withMol } from './rdkit.js';

export const FRAGMENT_NAMES: readonly string[] = FRAGMENT_SMARTS.map(([name]) => name);

const queries = FRAGMENT_SMARTS.map(([, smarts]) => new Smarts(smarts));

/** Counts of the 85 fr_* groups, in FRAGMENT_NAMES order (sorted as GROVER's fg labels). */
export function fragmentCounts(view: MolView): Int32Array {
  const out = new Int32Array(queries.length);
  queries.forEach((q, i) => {
    out[i] = view.matches(q).length;
  });
  return out;
}

/** GROVER's motif labels: 1 where the molecule contains the group (count > 0). */
export function motifLabels(view: MolView): Uint8Array {
  return Uint8Array.from(fragmentCounts(view), (c) => (c > 0 ? 1 : 0));
}

export function fragmentCountsOfSmiles(smiles: string): Int32Array {
  return withMol(smiles, fragmentCounts);
}
