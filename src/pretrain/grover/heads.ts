/**
 * GROVER's pretraining heads (tencent-ailab/grover `grover/model/models.py`: AtomVocabPrediction,
 * BondVocabPrediction, FunctionalGroupPrediction, GroverTask; read to learn the design, nothing
 * copied). Parameter names follow GroverTask's (`av_task_atom.linear.weight`, …) so state dicts line
 * up with GROVER checkpoints by name.
 *
 * - Atom vocabulary: Linear h→|Va| + log-softmax on atom_from_atom (`av_task_atom`) and on
 *   atom_from_bond (`av_task_bond`).
 * - Bond vocabulary: two linears per view, `linear` on one direction of a bond and `linear_rev` on the
 *   other, logits added, then log-softmax: one row per undirected bond. GROVER pairs its directed
 *   bonds (odd id, following even id) as a1→a2 and a2→a1 with a1 < a2; molgrove pairs edge 2k (begin→end
 *   of RDKit bond k) with `linear` and edge 2k+1 with `linear_rev`. GROVER also scores its padding
 *   bond row 0 (both linears on the zero row); molgrove has no padding rows.
 * - Motifs: mean readout per molecule of each of the four embeddings (atoms over the molecule's
 *   atoms, bonds over its directed bonds, as GROVER's b_scope; a molecule without bonds reads out
 *   zeros) → Linear h→85 logits per view.
 */
import { Linear } from '../../models/layers.js';
import { Module } from '../../models/module.js';
import * as T from '../../tensor/index.js';
import { MOTIF_COUNT } from './labels.js';

/** The encoder's four embeddings (GROVER's embedding_output_type 'both'). */
export interface GroverEmbeddings {
  /** [nAtoms, h] */
  readonly atomFromAtom: T.Tensor;
  /** [nAtoms, h] */
  readonly atomFromBond: T.Tensor;
  /** [nEdges, h], directed; edge e's reverse is e ^ 1. */
  readonly bondFromAtom: T.Tensor;
  /** [nEdges, h] */
  readonly bondFromBond: T.Tensor;
}

/** Where atoms and directed edges belong (a GraphBatch satisfies it). */
export interface BatchScope {
  readonly numGraphs: number;
  readonly atomOffsets: Int32Array;
  readonly edgeOffsets: Int32Array;
}

export interface MotifLogits {
  readonly atomFromAtom: T.Tensor;
  readonly atomFromBond: T.Tensor;
  readonly bondFromAtom: T.Tensor;
  readonly bondFromBond: T.Tensor;
}

/** GroverTask's predictions: log-probabilities for the vocab tasks, logits for the motifs. */
export interface GroverPredictions {
  /** [nAtoms, |Va|] from atom_from_atom and from atom_from_bond. */
  readonly av: readonly [T.Tensor, T.Tensor];
  /** [nBonds (undirected), |Vb|] from bond_from_atom and from bond_from_bond. */
  readonly bv: readonly [T.Tensor, T.Tensor];
  /** [numGraphs, 85] per view. */
  readonly fg: MotifLogits;
}

class AtomVocabHead extends Module {
  readonly linear: Linear;
  constructor(hidden: number, vocab: number, rng: T.Rng) {
    super();
    this.linear = this.child('linear', new Linear(hidden, vocab, rng));
  }
  forward(x: T.Tensor): T.Tensor {
    return T.logSoftmax(this.linear.forward(x));
  }
}

class BondVocabHead extends Module {
  readonly linear: Linear;
  readonly linearRev: Linear;
  constructor(hidden: number, vocab: number, rng: T.Rng) {
    super();
    this.linear = this.child('linear', new Linear(hidden, vocab, rng));
    this.linearRev = this.child('linear_rev', new Linear(hidden, vocab, rng));
  }
  /** x: [nEdges, h] directed → [nEdges / 2, |Vb|] log-probabilities per undirected bond. */
  forward(x: T.Tensor): T.Tensor {
    const n = x.shape[0]! >> 1;
    const fwd = new Int32Array(n);
    const rev = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      fwd[k] = 2 * k;
      rev[k] = 2 * k + 1;
    }
    const logits = T.add(
      this.linear.forward(T.gatherRows(x, fwd)),
      this.linearRev.forward(T.gatherRows(x, rev)),
    );
    return T.logSoftmax(logits);
  }
}

class MotifHead extends Module {
  readonly aa: Linear;
  readonly ab: Linear;
  readonly ba: Linear;
  readonly bb: Linear;
  constructor(hidden: number, size: number, rng: T.Rng) {
    super();
    this.aa = this.child('linear_atom_from_atom', new Linear(hidden, size, rng));
    this.ab = this.child('linear_atom_from_bond', new Linear(hidden, size, rng));
    this.ba = this.child('linear_bond_from_atom', new Linear(hidden, size, rng));
    this.bb = this.child('linear_bond_from_bond', new Linear(hidden, size, rng));
  }
  forward(e: GroverEmbeddings, scope: BatchScope): MotifLogits {
    const { atomIndex, edgeIndex } = scopeIndex(scope);
    const g = scope.numGraphs;
    return {
      atomFromAtom: this.aa.forward(T.segmentMean(e.atomFromAtom, atomIndex, g)),
      atomFromBond: this.ab.forward(T.segmentMean(e.atomFromBond, atomIndex, g)),
      bondFromAtom: this.ba.forward(T.segmentMean(e.bondFromAtom, edgeIndex, g)),
      bondFromBond: this.bb.forward(T.segmentMean(e.bondFromBond, edgeIndex, g)),
    };
  }
}

/** Molecule of every atom and of every directed edge. */
export function scopeIndex(scope: BatchScope): { atomIndex: Int32Array; edgeIndex: Int32Array } {
  const nA = scope.atomOffsets[scope.numGraphs]!;
  const nE = scope.edgeOffsets[scope.numGraphs]!;
  const atomIndex = new Int32Array(nA);
  const edgeIndex = new Int32Array(nE);
  for (let g = 0; g < scope.numGraphs; g++) {
    atomIndex.fill(g, scope.atomOffsets[g]!, scope.atomOffsets[g + 1]!);
    edgeIndex.fill(g, scope.edgeOffsets[g]!, scope.edgeOffsets[g + 1]!);
  }
  return { atomIndex, edgeIndex };
}

export interface HeadSizes {
  readonly hidden: number;
  readonly atomVocab: number;
  readonly bondVocab: number;
  /** Default 85. */
  readonly motifs?: number;
}

/** All of GroverTask's heads. */
export class GroverHeads extends Module {
  readonly avAtom: AtomVocabHead;
  readonly avBond: AtomVocabHead;
  readonly bvAtom: BondVocabHead;
  readonly bvBond: BondVocabHead;
  readonly fg: MotifHead;
  constructor(
    readonly sizes: HeadSizes,
    rng: T.Rng,
  ) {
    super();
    const { hidden, atomVocab, bondVocab } = sizes;
    this.avAtom = this.child('av_task_atom', new AtomVocabHead(hidden, atomVocab, rng));
    this.avBond = this.child('av_task_bond', new AtomVocabHead(hidden, atomVocab, rng));
    this.bvAtom = this.child('bv_task_atom', new BondVocabHead(hidden, bondVocab, rng));
    this.bvBond = this.child('bv_task_bond', new BondVocabHead(hidden, bondVocab, rng));
    this.fg = this.child('fg_task_all', new MotifHead(hidden, sizes.motifs ?? MOTIF_COUNT, rng));
  }
  forward(e: GroverEmbeddings, scope: BatchScope): GroverPredictions {
    return {
      av: [this.avAtom.forward(e.atomFromAtom), this.avBond.forward(e.atomFromBond)],
      bv: [this.bvAtom.forward(e.bondFromAtom), this.bvBond.forward(e.bondFromBond)],
      fg: this.fg.forward(e, scope),
    };
  }
}
