/**
 * Hiding atoms and bonds from an encoder, one rule for every objective that masks (attrmask,
 * grover-context's fixed mode, GraphCL's maskN): a masked atom gets Hu et al.'s mask token on the
 * integer codes (atom type 119 = NUM_ATOM_TYPES − 1, chirality 0) and a zero feature row; a masked
 * bond (each directed edge named) gets the mask bond token (type 5 = NUM_BOND_TYPES − 1, direction
 * 0) and a zero feature row. Categorical encoders read the codes, float-feature encoders (chemprop,
 * GROVER presets) the rows, so the answer is hidden from both.
 */

import type { GraphBatch } from '../../data/batch.js';
import { NUM_ATOM_TYPES, NUM_BOND_TYPES } from '../../models/graph.js';

/** Hu et al.'s mask token for atoms: the last atom-type row (pretrain-gnns: num_atom_type = 119). */
export const MASK_ATOM_TYPE = NUM_ATOM_TYPES - 1;
/** Hu et al.'s mask token for bonds: the last bond-type row (pretrain-gnns: num_edge_type = 5). */
export const MASK_BOND_TYPE = NUM_BOND_TYPES - 1;

/** A copy of the batch with `atoms` (global indices) and `edges` (directed edge indices) masked. */
export function maskInputs(
  batch: GraphBatch,
  atoms: Iterable<number>,
  edges: Iterable<number> = [],
): GraphBatch {
  const atomCodes = Int32Array.from(batch.atomCodes);
  const bondCodes = Int32Array.from(batch.bondCodes);
  const atomFeatures = Float32Array.from(batch.atomFeatures);
  const bondFeatures = Float32Array.from(batch.bondFeatures);
  const { atomDim, bondDim } = batch;
  for (const a of atoms) {
    atomCodes[2 * a] = MASK_ATOM_TYPE;
    atomCodes[2 * a + 1] = 0;
    atomFeatures.fill(0, a * atomDim, (a + 1) * atomDim);
  }
  for (const e of edges) {
    bondCodes[2 * e] = MASK_BOND_TYPE;
    bondCodes[2 * e + 1] = 0;
    bondFeatures.fill(0, e * bondDim, (e + 1) * bondDim);
  }
  return { ...batch, atomCodes, bondCodes, atomFeatures, bondFeatures };
}
