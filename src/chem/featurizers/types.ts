import type { PerceivedMol } from '../perception.js';
import type { MolView } from '../rdkit.js';

/** One named block of a feature vector, for documentation and `molgrove featurize --describe`. */
export interface FeatureBlock {
  readonly name: string;
  readonly width: number;
  readonly description: string;
}

/**
 * A featurizer preset turns a perceived molecule into per-atom and per-bond feature rows.
 * `dense` rows are real-valued vectors; `categorical` rows hold integer codes (stored as floats)
 * meant for embedding tables of the given cardinalities (Hu et al.'s inputs).
 */
export interface Featurizer {
  readonly name: string;
  readonly description: string;
  readonly kind: 'dense' | 'categorical';
  readonly atomDim: number;
  readonly bondDim: number;
  readonly atomBlocks: readonly FeatureBlock[];
  readonly bondBlocks: readonly FeatureBlock[];
  /** Embedding-table sizes per column, for categorical featurizers. */
  readonly atomCardinalities?: readonly number[];
  readonly bondCardinalities?: readonly number[];
  /** Writes atom i's features at out[offset .. offset+atomDim). `out` arrives zeroed. */
  atom(mol: PerceivedMol, i: number, out: Float32Array, offset: number, ctx: AtomContext): void;
  /** Writes bond j's features at out[offset .. offset+bondDim). `out` arrives zeroed. */
  bond(mol: PerceivedMol, j: number, out: Float32Array, offset: number): void;
  /** Per-molecule work done once before the atoms (e.g. SMARTS matches); optional. */
  prepare?(view: MolView, mol: PerceivedMol): AtomContext;
}

/** Per-molecule data a featurizer's `prepare` computes for its `atom` calls. */
export type AtomContext = Readonly<Record<string, Uint8Array>>;

/** Sets the one-hot slot of `value` among `choices`, or the trailing "unknown" slot. Returns the width. */
export function oneHot(out: Float32Array, offset: number, value: number, choices: readonly number[]): number {
  const idx = choices.indexOf(value);
  out[offset + (idx < 0 ? choices.length : idx)] = 1;
  return choices.length + 1;
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
