/**
 * Deep Graph Infomax on molecules (Hu et al. 2020, "Strategies for Pre-training Graph Neural
 * Networks", after Veličković et al. 2019; snap-stanford/pretrain-gnns
 * `chem/pretrain_deepgraphinfomax.py`, read to learn the rules, nothing copied). Any featurizer.
 *
 * Facts taken from the reference:
 * - node embeddings h come straight from the GNN (nothing in between); each molecule's summary is
 *   s_g = sigmoid(mean-pool of its h);
 * - the discriminator holds one matrix W [dim, dim], initialised as torch_geometric's
 *   `uniform(size, W)` with size = dim: U(−1/√dim, 1/√dim); score(h_i, s) = Σ_j h_ij · (s W)_j, i.e.
 *   h_i · (Wᵀ s) with s a row vector multiplied on the left of W (torch.matmul(summary, weight));
 * - positive pairs: every atom with its own molecule's summary; negative pairs: every atom with the
 *   summary of the next molecule of the batch, molecule g taking (g + 1) mod n (cycle_index with
 *   shift 1). The batches are shuffled, so that is a random other molecule;
 * - loss = BCEWithLogits(positive scores, 1) + BCEWithLogits(negative scores, 0), each a mean over
 *   atoms; accuracy = (positives > 0 + negatives < 0) / (2 · atoms).
 *
 * Our choice: with one molecule in a batch there is no other summary. The reference's shift then
 * gives the molecule its own summary as negative, the same pair with labels 1 and 0; here the batch
 * has no negatives: the neg term is 0 and the loss is the positive term alone (as edgepred does for
 * a batch without negatives), and negAcc counts nothing. Nothing is random in `prepare`. Logged
 * terms: total, pos, neg (the two BCE means), acc, posAcc, negAcc.
 */

import type { GraphBatch } from '../../data/batch.js';
import { ConfigError } from '../../errors.js';
import type { GraphView } from '../../models/graph.js';
import { Module } from '../../models/module.js';
import { readout } from '../../models/readout.js';
import * as T from '../../tensor/index.js';
import type { Objective, ObjectiveFactory, ObjectiveLoss, PretrainBatch } from '../objective.js';
import { ratio, signRight } from './metrics.js';

export interface InfomaxBatch {
  readonly input: GraphBatch;
  /** Per molecule, the molecule whose summary is its negative: (g + 1) mod n; empty with one molecule. */
  readonly negativeGraph: Int32Array;
}

/** The reference's cycle_index(n, 1): molecule g → (g + 1) mod n; none when n < 2 (see header). */
export function negativeGraphs(numGraphs: number): Int32Array {
  if (numGraphs < 2) return new Int32Array(0);
  return Int32Array.from({ length: numGraphs }, (_, g) => (g + 1) % numGraphs);
}

/** The discriminator's matrix (pretrain-gnns: Discriminator.weight). */
export class Discriminator extends Module {
  readonly weight: T.Parameter;
  constructor(
    readonly dim: number,
    rng: T.Rng,
  ) {
    super();
    if (!(Number.isInteger(dim) && dim >= 1))
      throw new ConfigError(`infomax: the embedding width must be a positive integer, got ${dim}`);
    this.weight = this.param('weight', T.uniformParam('weight', [dim, dim], 1 / Math.sqrt(dim), rng));
  }
  /** score_i = h_i · (s_i W) for node rows h [N, dim] and the rows of sW they pair with. */
  score(h: T.Tensor, projected: T.Tensor, rows: Int32Array): T.Tensor {
    return T.sum(T.mul(h, T.gatherRows(projected, rows)), 1);
  }
}

class InfomaxHead extends Module {
  readonly discriminator: Discriminator;
  constructor(dim: number, rng: T.Rng) {
    super();
    this.discriminator = this.child('discriminator', new Discriminator(dim, rng));
  }
}

/** The molecules' summaries sigmoid(mean-pool(h)) [numGraphs, dim]. */
export function summaries(nodes: T.Tensor, view: GraphView): T.Tensor {
  return T.sigmoid(readout('mean', nodes, view));
}

/** The infomax loss on encoded nodes (exported for tests on fixed embeddings). */
export function infomaxLoss(
  nodes: T.Tensor,
  view: GraphView,
  disc: Discriminator,
  negativeGraph: Int32Array,
): ObjectiveLoss {
  const atoms = nodes.shape[0]!;
  // s W once per molecule, then gathered per atom (the same as gathering s first).
  const projected = T.matmul(summaries(nodes, view), disc.weight);
  const pos = disc.score(nodes, projected, view.graphIndex);
  const posLoss = T.bceWithLogits(pos, new Float32Array(atoms).fill(1));
  const posRight = signRight(pos.data, 1);
  let negLoss: T.Tensor;
  let negRight = 0;
  let negatives = 0;
  if (negativeGraph.length === 0) {
    // One molecule: no negative pair (see header); a zero that still reaches the graph.
    negLoss = T.mulScalar(T.sum(projected), 0);
  } else {
    const rows = Int32Array.from(view.graphIndex, (g) => negativeGraph[g]!);
    const neg = disc.score(nodes, projected, rows);
    negLoss = T.bceWithLogits(neg, new Float32Array(atoms));
    negRight = signRight(neg.data, 0);
    negatives = atoms;
  }
  const total = T.add(posLoss, negLoss);
  return {
    total,
    values: {
      total: total.item(),
      pos: posLoss.item(),
      neg: negLoss.item(),
      acc: ratio(posRight + negRight, atoms + negatives),
      posAcc: ratio(posRight, atoms),
      negAcc: ratio(negRight, negatives),
    },
  };
}

export const infomaxObjective: ObjectiveFactory = {
  name: 'infomax',
  aliases: ['dgi', 'deep-graph-infomax', 'deepgraphinfomax'],
  description:
    'Deep Graph Infomax: atoms vs own / next molecule summary (Hu et al. 2020, pretrain-gnns chem/pretrain_deepgraphinfomax.py)',
  featurizer: null,
  moleculeLabels: [],
  defaults: {},
  flags: [],
  create({ dim, rng }): Objective<InfomaxBatch> {
    const head = new InfomaxHead(dim, rng);
    return {
      name: 'infomax',
      terms: ['total', 'pos', 'neg', 'acc', 'posAcc', 'negAcc'],
      head,
      prepare: (batch: PretrainBatch) => ({
        input: batch.graphs,
        negativeGraph: negativeGraphs(batch.graphs.numGraphs),
      }),
      loss(encode, { input, negativeGraph }) {
        const { nodes, view } = encode(input);
        return infomaxLoss(nodes, view, head.discriminator, negativeGraph);
      },
    };
  },
};
