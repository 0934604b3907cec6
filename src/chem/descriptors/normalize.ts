// descriptastorus's RDKit2DNormalized transform, the `rdkit_2d_normalized` features of chemprop and GROVER:
// each raw RDKit descriptor v goes through the CDF of the scipy.stats distribution fitted to it,
//   clip(dist.cdf(clip(v, minV, maxV), *params[:-2], loc=params[-2], scale=params[-1]), 0, 1),
// a descriptor that failed to compute gives 0, and chemprop finally replaces NaN by 0.

import { MolgroveError } from '../../errors.js';
import { distCdf } from './cdf.js';
import { DESCRIPTOR_DISTS } from './normalization-data.js';

/**
 * The 200 normalized descriptors: descriptastorus's table minus its 'RDKit2D_calculated' flag, in Python
 * sorted() order (code-unit order: uppercase before lowercase), the column order of the feature vector.
 */
export const NORMALIZED_NAMES: readonly string[] = Object.keys(DESCRIPTOR_DISTS)
  .filter((n) => n !== 'RDKit2D_calculated')
  .sort();

/**
 * Normalized value of one descriptor, as descriptastorus computes it. A NaN input stays NaN (np.clip and
 * the CDF propagate it); normalizeRdkit2d turns it into 0 as chemprop does.
 */
export function normalizeDescriptor(name: string, value: number): number {
  const entry = DESCRIPTOR_DISTS[name];
  if (entry === undefined) throw new MolgroveError('CONFIG', `no normalization for descriptor '${name}'`);
  if (Number.isNaN(value)) return Number.NaN;
  const v = Math.min(Math.max(value, entry.minV), entry.maxV);
  const p = distCdf(entry.dist, v, entry.params);
  if (Number.isNaN(p)) return p;
  return Math.min(Math.max(p, 0), 1);
}

/**
 * Normalizes a raw RDKit2D vector given in NORMALIZED_NAMES order; NaN (a descriptor that could not be
 * computed, or a NaN normalized value) becomes 0, as in descriptastorus + chemprop.
 */
export function normalizeRdkit2d(raw: Float64Array): Float32Array {
  if (raw.length !== NORMALIZED_NAMES.length) {
    throw new MolgroveError(
      'SHAPE',
      `normalizeRdkit2d: expected ${NORMALIZED_NAMES.length} raw descriptors, got ${raw.length}`,
    );
  }
  const out = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const p = normalizeDescriptor(NORMALIZED_NAMES[i]!, raw[i]!);
    out[i] = Number.isNaN(p) ? 0 : p;
  }
  return out;
}
