/**
 * Attribute masking (Hu et al. 2020, "Strategies for Pre-training Graph Neural Networks";
 * snap-stanford/pretrain-gnns `chem/util.py` MaskAtom and `chem/pretrain_masking.py`; read to learn
 * the rules, nothing copied), on any featurizer (masking.ts hides an atom's codes and its feature
 * row, so GROVER's and chemprop's float features are masked too; targets are Hu's atom codes, which
 * every featurized molecule carries):
 *
 * - per molecule, int(n · rate + 1) distinct atoms (rate 0.15) are drawn uniformly; each masked
 *   atom's input becomes the mask token (atom type 119 = NUM_ATOM_TYPES − 1, chirality 0);
 * - a linear head (dim → 119 atom types) on the masked atoms' node embeddings predicts their
 *   original atom type; cross-entropy, mean over the batch's masked atoms;
 * - with `maskEdge` (pretrain-gnns --mask_edge, off by default), every bond touching a masked atom
 *   has both directed copies set to the mask bond token (type 5 = NUM_BOND_TYPES − 1, direction 0)
 *   and a second linear head (dim → 4 bond types) on h[u] + h[v] predicts its original bond type;
 *   its cross-entropy (mean over masked bonds) is added to the loss.
 *
 * The draw uses the trainer's seeded generator, molecule by molecule in batch order (a partial
 * Fisher–Yates, as GROVER's labels), so masks are reproducible and resumable. The batch is copied
 * before masking. Logged terms: total, atom (cross-entropy), atomAcc (accuracy of the masked
 * atoms, as pretrain-gnns prints), and bond/bondAcc with maskEdge.
 */

import type { GraphBatch } from '../../data/batch.js';
import { ConfigError } from '../../errors.js';
import { NUM_ATOM_TYPES } from '../../models/graph.js';
import { Linear } from '../../models/layers.js';
import { Module } from '../../models/module.js';
import * as T from '../../tensor/index.js';
import { sampleIndices } from '../grover/labels.js';
import type {
  Objective,
  ObjectiveFactory,
  ObjectiveLoss,
  ObjectiveOptions,
  PretrainBatch,
} from '../objective.js';
import { maskInputs } from './masking.js';
import { argmaxAccuracy } from './metrics.js';

export { MASK_ATOM_TYPE, MASK_BOND_TYPE } from './masking.js';
/** Classes of the atom head: every atom type but the mask token (pretrain-gnns: Linear(emb, 119)). */
export const ATOM_CLASSES = NUM_ATOM_TYPES - 1;
/** Classes of the bond head: single, double, triple, aromatic (pretrain-gnns: Linear(emb, 4)). */
export const BOND_CLASSES = 4;
export const DEFAULT_MASK_RATE = 0.15;

export interface AttrMaskTargets {
  /** Global indices of the masked atoms, in draw order. */
  readonly atoms: Int32Array;
  /** Their original atom types. */
  readonly atomTypes: Int32Array;
  /** Masked bonds (maskEdge): ends of the bond's first directed copy, and its original type. */
  readonly bondSrc: Int32Array;
  readonly bondDst: Int32Array;
  readonly bondTypes: Int32Array;
}

export interface MaskedBatch {
  /** The batch with masked codes (a copy). */
  readonly input: GraphBatch;
  readonly targets: AttrMaskTargets;
}

/** Atoms masked in a molecule of n atoms: int(n · rate + 1), at most n. */
export function maskedAtomCount(n: number, rate: number): number {
  return Math.min(n, Math.trunc(n * rate + 1));
}

/**
 * Masks a batch: a copy with the masked atoms and bonds hidden (masking.ts), and the targets. Bonds
 * are edges 2k and 2k+1 of the batch (one per direction, as molgrove's MolGraph lays them out).
 */
export function maskBatch(
  batch: GraphBatch,
  rng: T.Rng,
  options: { readonly rate: number; readonly maskEdge: boolean },
): MaskedBatch {
  const atoms: number[] = [];
  const edges: number[] = [];
  const atomTypes: number[] = [];
  const bondSrc: number[] = [];
  const bondDst: number[] = [];
  const bondTypes: number[] = [];
  const masked = new Uint8Array(batch.numAtoms);
  const m = batch.numEdges;
  for (let g = 0; g < batch.numGraphs; g++) {
    const a0 = batch.atomOffsets[g]!;
    const na = batch.atomOffsets[g + 1]! - a0;
    for (const i of sampleIndices(na, maskedAtomCount(na, options.rate), rng)) {
      const a = a0 + i;
      atoms.push(a);
      atomTypes.push(batch.atomCodes[2 * a]!);
      masked[a] = 1;
    }
    if (!options.maskEdge) continue;
    for (let e = batch.edgeOffsets[g]!; e < batch.edgeOffsets[g + 1]!; e += 2) {
      const u = batch.edgeIndex[e]!;
      const v = batch.edgeIndex[m + e]!;
      if (!(masked[u] || masked[v])) continue;
      bondSrc.push(u);
      bondDst.push(v);
      bondTypes.push(batch.bondCodes[2 * e]!);
      edges.push(e, e + 1);
    }
  }
  return {
    input: maskInputs(batch, atoms, edges),
    targets: {
      atoms: Int32Array.from(atoms),
      atomTypes: Int32Array.from(atomTypes),
      bondSrc: Int32Array.from(bondSrc),
      bondDst: Int32Array.from(bondDst),
      bondTypes: Int32Array.from(bondTypes),
    },
  };
}

class AttrMaskHead extends Module {
  readonly atoms: Linear;
  readonly bonds: Linear | null;
  constructor(dim: number, maskEdge: boolean, rng: T.Rng) {
    super();
    this.atoms = this.child('linear_pred_atoms', new Linear(dim, ATOM_CLASSES, rng));
    this.bonds = maskEdge ? this.child('linear_pred_bonds', new Linear(dim, BOND_CLASSES, rng)) : null;
  }
}

function readOptions(o: ObjectiveOptions): { rate: number; maskEdge: boolean } {
  const rate = o['maskRate'] ?? DEFAULT_MASK_RATE;
  const maskEdge = o['maskEdge'] ?? false;
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1))
    throw new ConfigError(`attrmask: mask rate must be in [0, 1), got ${rate}`);
  if (typeof maskEdge !== 'boolean') throw new ConfigError(`attrmask: maskEdge must be true or false`);
  return { rate, maskEdge };
}

export const attrMaskObjective: ObjectiveFactory = {
  name: 'attrmask',
  aliases: ['attr-mask', 'masking'],
  description:
    'attribute masking: predict masked atom types (Hu et al. 2020, pretrain-gnns chem/pretrain_masking.py)',
  featurizer: null,
  moleculeLabels: [],
  defaults: { maskRate: DEFAULT_MASK_RATE, maskEdge: false },
  flags: [
    {
      key: 'maskRate',
      flag: '--mask-rate <x>',
      help: 'attrmask: share of atoms masked, int(n·rate + 1) (0.15)',
    },
    {
      key: 'maskEdge',
      flag: '--mask-edge',
      help: 'attrmask: also mask the bonds of masked atoms, predict their type',
    },
  ],
  create({ dim, options, rng }): Objective<MaskedBatch> {
    const o = readOptions(options);
    const head = new AttrMaskHead(dim, o.maskEdge, rng);
    return {
      name: 'attrmask',
      terms: o.maskEdge ? ['total', 'atom', 'atomAcc', 'bond', 'bondAcc'] : ['total', 'atom', 'atomAcc'],
      head,
      prepare: (batch: PretrainBatch, r: T.Rng) => maskBatch(batch.graphs, r, o),
      loss(encode, { input, targets: t }): ObjectiveLoss {
        const { nodes } = encode(input);
        const atomLogits = head.atoms.forward(T.gatherRows(nodes, t.atoms));
        const atom = T.crossEntropy(atomLogits, t.atomTypes);
        const atomAcc = argmaxAccuracy(atomLogits, t.atomTypes);
        if (!head.bonds) return { total: atom, values: { total: atom.item(), atom: atom.item(), atomAcc } };
        let bond: T.Tensor;
        let bondAcc = 0;
        if (t.bondTypes.length === 0) {
          // No bond touches a masked atom (single-atom molecules): nothing to predict.
          bond = T.mulScalar(T.sum(head.bonds.weight), 0);
        } else {
          const rep = T.add(T.gatherRows(nodes, t.bondSrc), T.gatherRows(nodes, t.bondDst));
          const bondLogits = head.bonds.forward(rep);
          bond = T.crossEntropy(bondLogits, t.bondTypes);
          bondAcc = argmaxAccuracy(bondLogits, t.bondTypes);
        }
        const total = T.add(atom, bond);
        return {
          total,
          values: { total: total.item(), atom: atom.item(), atomAcc, bond: bond.item(), bondAcc },
        };
      },
    };
  },
};
