/**
 * Edge (link) prediction (Hu et al. 2020, "Strategies for Pre-training Graph Neural Networks";
 * snap-stanford/pretrain-gnns `chem/pretrain_edgepred.py` and the NegativeEdge transform of
 * `chem/util.py`; read to learn the rules, nothing copied). Any featurizer, no head.
 *
 * Facts taken from the reference:
 * - positives: one direction of every bond (it takes every other column of edge_index, whose two
 *   directions of a bond are adjacent); here edge 2k of each bond k (src/data/batch.ts layout);
 * - negatives, per molecule: up to 5 · num_edges (= 10 · bonds, num_edges counting both directions)
 *   ordered pairs (u, v) drawn uniformly from n × n; a pair is kept when u ≠ v, it is not a bond
 *   (either direction) and it was not kept before, until num_edges / 2 (= the number of bonds) are
 *   kept. So a molecule has at most as many negatives as bonds, possibly fewer, and none without a
 *   bond;
 * - score of a pair = dot product of its two node embeddings (no head); the loss is
 *   BCEWithLogits(positive scores, 1) + BCEWithLogits(negative scores, 0), each a mean;
 * - accuracy = (positives scored > 0 + negatives scored < 0) / (2 · positives).
 *
 * Our choices:
 * - the reference's "not kept before" compares ordered pairs, so (u, v) and (v, u) can both be kept;
 *   the score is symmetric, so that is one pair counted twice: here a pair is new only if neither
 *   order was kept (each non-bonded atom pair is a negative at most once). Self pairs are skipped,
 *   as the reference does (an atom paired with itself is no bond to predict). The drawing stops early
 *   once every non-bonded pair is taken (same result, fewer draws);
 * - the accuracy divides by the number of pairs scored (positives + negatives), not 2 · positives,
 *   and posAcc / negAcc are logged apart;
 * - a batch without bonds (single atoms) or without negatives has the missing term at 0 (a zero
 *   that still reaches the graph, so backward runs), and its accuracies count only what exists.
 *
 * All drawing happens in `prepare`, from the trainer's seeded generator, molecule by molecule in
 * batch order; a new draw every time a molecule is seen (the reference's transform runs on every
 * access). Logged terms: total, pos, neg (the two BCE means), acc, posAcc, negAcc.
 */

import type { GraphBatch } from '../../data/batch.js';
import { Module } from '../../models/module.js';
import * as T from '../../tensor/index.js';
import type { Objective, ObjectiveFactory, ObjectiveLoss, PretrainBatch } from '../objective.js';
import { ratio, signRight } from './metrics.js';

/** Node pairs as global atom indices: pair i is (src[i], dst[i]). */
export interface NodePairs {
  readonly src: Int32Array;
  readonly dst: Int32Array;
}

export interface EdgePredBatch {
  /** The batch, unchanged (edge prediction does not hide the edges it scores, as the reference). */
  readonly input: GraphBatch;
  readonly positives: NodePairs;
  readonly negatives: NodePairs;
}

/** Draws per molecule: the reference draws 5 · num_edges pairs, num_edges counting both directions. */
export const DRAWS_PER_DIRECTED_EDGE = 5;

/** One pair per bond: the first directed copy (edge 2k) of each bond k. */
export function positiveEdges(batch: GraphBatch): NodePairs {
  const bonds = batch.numEdges >> 1;
  const src = new Int32Array(bonds);
  const dst = new Int32Array(bonds);
  for (let k = 0; k < bonds; k++) {
    src[k] = batch.edgeIndex[2 * k]!;
    dst[k] = batch.edgeIndex[batch.numEdges + 2 * k]!;
  }
  return { src, dst };
}

/** The unordered local pair {u, v} of a molecule of n atoms as one number. */
const pairKey = (u: number, v: number, n: number): number => (u < v ? u * n + v : v * n + u);

/**
 * Negative pairs of one molecule (atoms a0 … a0 + n − 1, edges e0 … e1 − 1), appended to src/dst as
 * global indices: the reference's rule (see the header), with unordered pairs kept once.
 */
function moleculeNegatives(batch: GraphBatch, g: number, rng: T.Rng, src: number[], dst: number[]): void {
  const a0 = batch.atomOffsets[g]!;
  const n = batch.atomOffsets[g + 1]! - a0;
  const e0 = batch.edgeOffsets[g]!;
  const directed = batch.edgeOffsets[g + 1]! - e0;
  const wanted = directed >> 1;
  if (n < 2 || wanted === 0) return;
  const bonded = new Set<number>();
  for (let e = e0; e < e0 + directed; e++) {
    const u = batch.edgeIndex[e]! - a0;
    const v = batch.edgeIndex[batch.numEdges + e]! - a0;
    if (u !== v) bonded.add(pairKey(u, v, n));
  }
  const available = (n * (n - 1)) / 2 - bonded.size;
  const target = Math.min(wanted, available);
  const taken = new Set<number>();
  for (let draw = 0; draw < DRAWS_PER_DIRECTED_EDGE * directed && taken.size < target; draw++) {
    const u = rng.int(n);
    const v = rng.int(n);
    if (u === v) continue;
    const key = pairKey(u, v, n);
    if (bonded.has(key) || taken.has(key)) continue;
    taken.add(key);
    src.push(a0 + u);
    dst.push(a0 + v);
  }
}

/** Negative pairs of every molecule, in batch order (never a bond, a self pair or a repeat). */
export function sampleNegativeEdges(batch: GraphBatch, rng: T.Rng): NodePairs {
  const src: number[] = [];
  const dst: number[] = [];
  for (let g = 0; g < batch.numGraphs; g++) moleculeNegatives(batch, g, rng, src, dst);
  return { src: Int32Array.from(src), dst: Int32Array.from(dst) };
}

export function prepareEdgePred(batch: GraphBatch, rng: T.Rng): EdgePredBatch {
  return { input: batch, positives: positiveEdges(batch), negatives: sampleNegativeEdges(batch, rng) };
}

/** Dot product of the embeddings of each pair: [pairs]. */
export function pairScores(nodes: T.Tensor, pairs: NodePairs): T.Tensor {
  return T.sum(T.mul(T.gatherRows(nodes, pairs.src), T.gatherRows(nodes, pairs.dst)), 1);
}

/** BCE-with-logits mean of `scores` against a constant label, and how many it gets right. */
function term(nodes: T.Tensor, pairs: NodePairs, label: 0 | 1): { loss: T.Tensor; right: number } {
  const n = pairs.src.length;
  // Nothing to score: a zero that still reaches the encoder, so backward runs.
  if (n === 0) return { loss: T.mulScalar(T.sum(nodes), 0), right: 0 };
  const scores = pairScores(nodes, pairs);
  const loss = T.bceWithLogits(scores, new Float32Array(n).fill(label));
  return { loss, right: signRight(scores.data, label) };
}

/** The edge prediction loss on encoded nodes (exported for tests on fixed embeddings). */
export function edgePredLoss(nodes: T.Tensor, positives: NodePairs, negatives: NodePairs): ObjectiveLoss {
  const pos = term(nodes, positives, 1);
  const neg = term(nodes, negatives, 0);
  const total = T.add(pos.loss, neg.loss);
  const np = positives.src.length;
  const nn = negatives.src.length;
  return {
    total,
    values: {
      total: total.item(),
      pos: pos.loss.item(),
      neg: neg.loss.item(),
      acc: ratio(pos.right + neg.right, np + nn),
      posAcc: ratio(pos.right, np),
      negAcc: ratio(neg.right, nn),
    },
  };
}

/** Edge prediction has no parameters of its own. */
class EdgePredHead extends Module {}

export const edgePredObjective: ObjectiveFactory = {
  name: 'edgepred',
  aliases: ['edge-pred', 'linkpred', 'link-pred'],
  description:
    'edge prediction: dot-product scores of bonds vs sampled non-bonded pairs (Hu et al. 2020, pretrain-gnns chem/pretrain_edgepred.py)',
  featurizer: null,
  moleculeLabels: [],
  defaults: {},
  flags: [],
  create(): Objective<EdgePredBatch> {
    return {
      name: 'edgepred',
      terms: ['total', 'pos', 'neg', 'acc', 'posAcc', 'negAcc'],
      head: new EdgePredHead(),
      prepare: (batch: PretrainBatch, rng: T.Rng) => prepareEdgePred(batch.graphs, rng),
      loss(encode, { input, positives, negatives }) {
        return edgePredLoss(encode(input).nodes, positives, negatives);
      },
    };
  },
};
