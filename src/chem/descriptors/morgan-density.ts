/**
 * FpDensityMorgan1..3: the number of distinct identifiers in RDKit's unhashed Morgan fingerprint
 * (GetMorganFingerprint(mol, radius)) per heavy atom; the identifiers come from the one Morgan
 * implementation in src/chem/fingerprints.ts.
 */
import { morganIdentifiers } from '../fingerprints.js';
import type { DescriptorMol } from './context.js';

/** Distinct Morgan identifiers for radius 1, 2 and 3 (cumulative, as the fingerprint's elements). */
export function morganIdCounts(mol: DescriptorMol): [number, number, number] {
  const firstLayer = new Map<number, number>();
  morganIdentifiers(mol.record, 3, (id, layer) => {
    if (!firstLayer.has(id)) firstLayer.set(id, layer);
  });
  let [m1, m2, m3] = [0, 0, 0];
  for (const layer of firstLayer.values()) {
    if (layer <= 1) m1++;
    if (layer <= 2) m2++;
    m3++;
  }
  return [m1, m2, m3];
}
