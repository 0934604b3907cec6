/**
 * GROVER's pretraining loss (tencent-ailab/grover `GroverTask.get_loss_func`; read, not copied):
 *
 *   L = av_loss + bv_loss + fg_loss + c · av_dist + c · bv_dist + fg_dist,   c = dist_coff (0.1)
 *
 * - av_loss = NLL(av from atom_from_atom) + NLL(av from atom_from_bond), mean over labelled atoms
 *   (target 0 = <pad> ignored); bv_loss likewise over labelled bonds.
 * - fg_loss = the sum of the four BCE-with-logits terms (mean over molecules × 85).
 * - av_dist / bv_dist = MSE between the two views' log-probabilities (all rows, gradients into both);
 *   fg_dist = MSE(sigmoid(atom_from_atom), sigmoid(atom_from_bond)) + MSE(sigmoid(bond_from_atom),
 *   sigmoid(bond_from_bond)). As released, fg_dist is NOT scaled by c.
 *
 * Differences: GROVER's av/bv tensors carry its padding row 0 (atom 0 / bond 0 of the batch), which
 * the NLL ignores but the MSE averages in; molgrove has no padding rows, so its av/bv dist is the
 * mean over real atoms/bonds only. A batch with no labelled atom (or bond) gives NaN in torch's NLL;
 * here that term is 0.
 */
import * as T from '../../tensor/index.js';
import type { GroverPredictions } from './heads.js';

export const DEFAULT_DIST_COEFF = 0.1;

export interface GroverTargets {
  /** nAtoms vocab labels (0 = unlabelled). */
  readonly atom: Int32Array;
  /** nBonds (undirected) vocab labels. */
  readonly bond: Int32Array;
  /** numGraphs × 85 motif bits as floats. */
  readonly motifs: Float32Array;
}

export const LOSS_TERMS = [
  'total',
  'av',
  'bv',
  'fg',
  'avDist',
  'bvDist',
  'fgDist',
  'avAtom',
  'avBond',
  'bvAtom',
  'bvBond',
] as const;
export type LossTerm = (typeof LOSS_TERMS)[number];
export type LossValues = Record<LossTerm, number>;

export interface GroverLoss {
  /** The scalar to backpropagate. */
  readonly total: T.Tensor;
  /** Every term's value (GROVER's returned tuple plus the per-view NLLs). */
  readonly values: LossValues;
}

function nll(logProbs: T.Tensor, target: Int32Array): T.Tensor {
  let labelled = 0;
  for (const t of target) if (t !== 0) labelled++;
  if (labelled === 0) return T.mulScalar(T.sum(logProbs), 0);
  return T.nllLoss(logProbs, target, { ignoreIndex: 0 });
}

/** torch's MSELoss between two tensors, gradients into both. */
function mseBetween(a: T.Tensor, b: T.Tensor): T.Tensor {
  if (a.size === 0) return T.mulScalar(T.sum(T.sub(a, b)), 0);
  return T.mean(T.square(T.sub(a, b)));
}

export function groverLoss(
  pred: GroverPredictions,
  targets: GroverTargets,
  distCoeff = DEFAULT_DIST_COEFF,
): GroverLoss {
  const avAtom = nll(pred.av[0], targets.atom);
  const avBond = nll(pred.av[1], targets.atom);
  const bvAtom = nll(pred.bv[0], targets.bond);
  const bvBond = nll(pred.bv[1], targets.bond);
  const fg = pred.fg;
  const bce = (x: T.Tensor) => T.bceWithLogits(x, targets.motifs);
  const fgLoss = T.addN([
    bce(fg.atomFromAtom),
    bce(fg.atomFromBond),
    bce(fg.bondFromAtom),
    bce(fg.bondFromBond),
  ]);
  const avDist = mseBetween(pred.av[0], pred.av[1]);
  const bvDist = mseBetween(pred.bv[0], pred.bv[1]);
  const fgDist = T.add(
    mseBetween(T.sigmoid(fg.atomFromAtom), T.sigmoid(fg.atomFromBond)),
    mseBetween(T.sigmoid(fg.bondFromAtom), T.sigmoid(fg.bondFromBond)),
  );
  const av = T.add(avAtom, avBond);
  const bv = T.add(bvAtom, bvBond);
  const total = T.addN([
    av,
    bv,
    fgLoss,
    T.mulScalar(avDist, distCoeff),
    T.mulScalar(bvDist, distCoeff),
    fgDist,
  ]);
  return {
    total,
    values: {
      total: total.item(),
      av: av.item(),
      bv: bv.item(),
      fg: fgLoss.item(),
      avDist: avDist.item(),
      bvDist: bvDist.item(),
      fgDist: fgDist.item(),
      avAtom: avAtom.item(),
      avBond: avBond.item(),
      bvAtom: bvAtom.item(),
      bvBond: bvBond.item(),
    },
  };
}
