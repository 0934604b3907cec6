/**
 * GraphCL's graph augmentations (You et al. 2020, "Graph Contrastive Learning with Augmentations";
 * Shen-Lab/GraphCL `transferLearning_MoleculeNet_PPI/chem/loader.py` drop_nodes, permute_edges,
 * mask_nodes, subgraph and MoleculeDataset_aug.get; read to learn the rules, nothing copied), on a
 * GraphBatch, molecule by molecule, with n atoms and ratio r:
 *
 * - 'dropN': int(n·r) atoms drawn uniformly without replacement are removed with their bonds
 *   (as drop_nodes). r < 1, so at least one atom always stays.
 * - 'permE': int(b·r) of the molecule's b bonds are removed, whole. The reference drops int(m·r)
 *   of the m DIRECTED edges and appends as many random directed node pairs (whose edge_attr rows
 *   are whatever rows sit at those positions). molgrove keeps a bond's two directions together
 *   (D-MPNN's reverse-edge pointers and subgraphBatch rely on it) and adds no bonds (a new bond
 *   would need invented codes and features): edge perturbation here is bond dropping only.
 * - 'maskN': int(n·r) distinct atoms are masked (mask_nodes draws int(n·r) without replacement; no
 *   "+1" as attrmask). A masked atom gets Hu et al.'s mask token on the integer codes (atom type
 *   119 = NUM_ATOM_TYPES − 1, chirality 0) and an all-zero float feature row (the reference's
 *   mean-of-x token is meant for float features, and fails on the chem code's integer x).
 * - 'subgraph': a connected subgraph grown from a uniformly drawn seed atom, adding each time an
 *   atom drawn uniformly from the atoms adjacent to the subgraph, until n − int(n·r) atoms (as many
 *   as 'dropN' keeps) or the seed's connected component is exhausted (the subgraph stays connected).
 *   The chem loader sets sub_num = int(n·r), loops while |sub| ≤ sub_num, and discards the result of
 *   `idx_neigh.union(...)`, so its subgraph is the seed plus up to int(n·r) of the seed's own
 *   neighbours; GraphCL's TU code fixes both (int(n·(1 − r)), a growing frontier). We follow the
 *   method the paper describes: ratio r is the share of atoms removed, the frontier grows.
 * - 'random': per molecule, 'dropN' or 'subgraph' with probability ½ each (MoleculeDataset_aug's
 *   'random', what the GraphCL README runs for chem: --aug1 random --aug2 random).
 * - 'none': the batch as it is.
 *
 * Every augmentation keeps ≥ 1 atom of every molecule, so both views keep every molecule and stay
 * paired row by row. The source batch is never modified; atoms and bonds keep their order.
 */

import type { GraphBatch } from '../../data/batch.js';
import { subgraphBatch } from '../../data/subgraph.js';
import { ConfigError, MolgroveError } from '../../errors.js';
import type * as T from '../../tensor/index.js';
import { sampleIndices } from '../grover/labels.js';
import { maskInputs } from './masking.js';

export const AUGMENTATIONS = ['none', 'dropN', 'permE', 'maskN', 'subgraph', 'random'] as const;
export type Augmentation = (typeof AUGMENTATIONS)[number];

/** GraphCL's aug_ratio default. */
export const DEFAULT_AUG_RATIO = 0.2;

/** An augmentation name, case-insensitive ('dropn' → 'dropN'). */
export function parseAugmentation(name: string, what = 'augmentation'): Augmentation {
  const key = name.trim().toLowerCase();
  const found = AUGMENTATIONS.find((a) => a.toLowerCase() === key);
  if (!found) throw new ConfigError(`${what} must be one of ${AUGMENTATIONS.join(', ')}, got '${name}'`);
  return found;
}

/** Atoms (or bonds) a ratio removes from n: int(n·ratio), as GraphCL's loader. */
export function removedCount(n: number, ratio: number): number {
  return Math.trunc(n * ratio);
}

/** The atoms of a connected subgraph of one molecule (local indices, in the order added). */
export function growSubgraph(
  neighbours: readonly (readonly number[])[],
  target: number,
  rng: T.Rng,
): number[] {
  const n = neighbours.length;
  const seen = new Uint8Array(n);
  const seed = rng.int(n);
  const sub = [seed];
  seen[seed] = 1;
  const frontier: number[] = [];
  const reach = (a: number) => {
    for (const b of neighbours[a]!)
      if (!seen[b]) {
        seen[b] = 1;
        frontier.push(b);
      }
  };
  reach(seed);
  while (sub.length < target && frontier.length > 0) {
    // Uniform over the frontier; swap-remove keeps the draw O(1).
    const k = rng.int(frontier.length);
    const a = frontier[k]!;
    frontier[k] = frontier[frontier.length - 1]!;
    frontier.pop();
    sub.push(a);
    reach(a);
  }
  return sub;
}

/** Each atom's neighbours within molecule g (local indices, bond order). */
export function moleculeNeighbours(batch: GraphBatch, g: number): number[][] {
  const a0 = batch.atomOffsets[g]!;
  const n = batch.atomOffsets[g + 1]! - a0;
  const m = batch.numEdges;
  const out: number[][] = Array.from({ length: n }, () => []);
  for (let e = batch.edgeOffsets[g]!; e < batch.edgeOffsets[g + 1]!; e++)
    out[batch.edgeIndex[e]! - a0]!.push(batch.edgeIndex[m + e]! - a0);
  return out;
}

type Concrete = Exclude<Augmentation, 'random'>;

/** What one view does to the batch: atoms and bonds kept, atoms masked. */
interface Plan {
  readonly keepAtom: Uint8Array;
  readonly keepBond: Uint8Array;
  readonly masked: number[];
  dropped: boolean;
}

function planMolecule(
  batch: GraphBatch,
  g: number,
  aug: Concrete,
  ratio: number,
  rng: T.Rng,
  plan: Plan,
): void {
  const a0 = batch.atomOffsets[g]!;
  const n = batch.atomOffsets[g + 1]! - a0;
  if (n === 0) return;
  switch (aug) {
    case 'none':
      return;
    case 'dropN':
      for (const i of sampleIndices(n, removedCount(n, ratio), rng)) {
        plan.keepAtom[a0 + i] = 0;
        plan.dropped = true;
      }
      return;
    case 'maskN':
      for (const i of sampleIndices(n, removedCount(n, ratio), rng)) plan.masked.push(a0 + i);
      return;
    case 'permE': {
      const b0 = batch.edgeOffsets[g]! >> 1;
      const nb = (batch.edgeOffsets[g + 1]! >> 1) - b0;
      for (const j of sampleIndices(nb, removedCount(nb, ratio), rng)) {
        plan.keepBond[b0 + j] = 0;
        plan.dropped = true;
      }
      return;
    }
    case 'subgraph': {
      const sub = growSubgraph(moleculeNeighbours(batch, g), n - removedCount(n, ratio), rng);
      if (sub.length === n) return;
      plan.keepAtom.fill(0, a0, a0 + n);
      for (const i of sub) plan.keepAtom[a0 + i] = 1;
      plan.dropped = true;
      return;
    }
  }
}

/**
 * One augmented view of every molecule of the batch (a new batch; the source is untouched), drawn
 * from `rng` molecule by molecule in batch order.
 */
export function augmentBatch(batch: GraphBatch, aug: Augmentation, ratio: number, rng: T.Rng): GraphBatch {
  if (!(ratio >= 0 && ratio < 1)) throw new ConfigError(`augmentation ratio must be in [0, 1), got ${ratio}`);
  if (aug === 'none') return batch;
  const plan: Plan = {
    keepAtom: new Uint8Array(batch.numAtoms).fill(1),
    keepBond: new Uint8Array(batch.numEdges >> 1).fill(1),
    masked: [],
    dropped: false,
  };
  for (let g = 0; g < batch.numGraphs; g++) {
    const concrete: Concrete = aug === 'random' ? (rng.int(2) === 0 ? 'dropN' : 'subgraph') : aug;
    planMolecule(batch, g, concrete, ratio, rng, plan);
  }
  if (plan.masked.length > 0) return maskInputs(batch, plan.masked);
  if (!plan.dropped) return batch;
  const sub = subgraphBatch(batch, plan.keepAtom, plan.keepBond);
  // Every augmentation keeps an atom per molecule; a lost molecule would break the view pairing.
  if (sub.batch.numGraphs !== batch.numGraphs)
    throw new MolgroveError('SHAPE', `augmentation lost ${batch.numGraphs - sub.batch.numGraphs} molecules`);
  return sub.batch;
}
