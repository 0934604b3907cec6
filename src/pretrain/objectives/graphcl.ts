/**
 * GraphCL (You et al. 2020, "Graph Contrastive Learning with Augmentations"; Shen-Lab/GraphCL
 * `transferLearning_MoleculeNet_PPI/chem/pretrain_graphcl.py`, class graphcl, and its README; read to
 * learn the rules, nothing copied), on any encoder:
 *
 * - two augmented views of every molecule of the batch (graph-augment.ts: aug1 with augRatio1,
 *   aug2 with augRatio2, ratio 0.2 each as the reference's --aug_ratio1/2), both encoded by the same
 *   encoder, in two forward passes as the reference (forward_cl on batch1, then on batch2);
 * - per view: mean readout of the node embeddings (global_mean_pool), then the projection head
 *   Linear(dim, dim) → ReLU → Linear(dim, dim) (the reference hard-codes 300 = emb_dim);
 * - the loss of graphcl.loss_cl, with temperature τ (0.1 there, hard-coded): s_ij = cos(z1_i, z2_j),
 *   loss = −mean_i log( exp(s_ii/τ) / Σ_{j≠i} exp(s_ij/τ) ). This is one-directional (view-1
 *   anchors against view-2 candidates only, no view-1 negatives, not symmetrized) and its
 *   denominator leaves the positive out, unlike SimCLR's NT-Xent. We compute the same quantity in
 *   log space, Σ_{j≠i} through a log-sum-exp shifted by the row's largest off-diagonal logit, so a
 *   small τ cannot overflow exp in float32; the reference's norms have no epsilon, nor do ours.
 *   A batch of one molecule has no negative (the reference would give −log(x/0) = −inf): its loss
 *   is 0, with zero gradients.
 * - augmentation defaults: 'random' for both views (per molecule dropN or subgraph, ½ each), the
 *   command the GraphCL README gives for chem pretraining (`--aug1 random --aug2 random`; the
 *   script's argparse defaults are 'none', which would contrast a molecule with itself). The
 *   paper's best pair for molecules, dropN + subgraph, is `--aug1 dropN --aug2 subgraph`.
 *
 * Logged terms: total, and acc (share of molecules whose own second view is the most similar of
 * the batch's second views; the reference logs a constant 0 there).
 */

import type { GraphBatch } from '../../data/batch.js';
import { ConfigError } from '../../errors.js';
import { Linear } from '../../models/layers.js';
import { Module } from '../../models/module.js';
import { readout } from '../../models/readout.js';
import * as T from '../../tensor/index.js';
import type {
  Encoded,
  Objective,
  ObjectiveFactory,
  ObjectiveLoss,
  ObjectiveOptions,
  PretrainBatch,
} from '../objective.js';
import { type Augmentation, augmentBatch, DEFAULT_AUG_RATIO, parseAugmentation } from './graph-augment.js';

/** graphcl.loss_cl's T. */
export const DEFAULT_TEMPERATURE = 0.1;
export const DEFAULT_AUG: Augmentation = 'random';

export interface GraphCLOptions {
  readonly aug1: Augmentation;
  readonly aug2: Augmentation;
  readonly augRatio1: number;
  readonly augRatio2: number;
  readonly temperature: number;
}

export interface GraphCLViews {
  readonly view1: GraphBatch;
  readonly view2: GraphBatch;
}

/** Both views of a batch: view 1 drawn for every molecule first, then view 2. */
export function graphclViews(batch: GraphBatch, o: GraphCLOptions, rng: T.Rng): GraphCLViews {
  const view1 = augmentBatch(batch, o.aug1, o.augRatio1, rng);
  const view2 = augmentBatch(batch, o.aug2, o.augRatio2, rng);
  return { view1, view2 };
}

/** Rows scaled to unit length (no epsilon, as the reference's x.norm(dim=1)). */
function unitRows(z: T.Tensor): T.Tensor {
  return T.div(z, T.sqrt(T.sum(T.square(z), 1, true)));
}

/** [B, B] constants: `diag` on the diagonal, `off` elsewhere. */
function diagonal(b: number, diag: number, off: number): T.Tensor {
  const d = new Float32Array(b * b).fill(off);
  for (let i = 0; i < b; i++) d[i * b + i] = diag;
  return T.tensor(d, [b, b]);
}

/** Each row's largest entry off the diagonal, [B, 1], as a constant (a shift for log-sum-exp). */
function offDiagonalMax(x: Float32Array, b: number): T.Tensor {
  const out = new Float32Array(b);
  for (let i = 0; i < b; i++) {
    let m = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < b; j++) if (j !== i && x[i * b + j]! > m) m = x[i * b + j]!;
    out[i] = m;
  }
  return T.tensor(out, [b, 1]);
}

/**
 * GraphCL's contrastive loss of two [B, D] projections (see the header):
 * mean_i [ log Σ_{j≠i} exp(s_ij/τ) − s_ii/τ ], s = cosine similarities of z1's rows with z2's.
 */
export function graphclLoss(z1: T.Tensor, z2: T.Tensor, temperature: number): T.Tensor {
  const b = z1.shape[0]!;
  if (z2.shape[0] !== b) throw new ConfigError(`graphcl: views of ${b} and ${z2.shape[0]} molecules`);
  if (b < 2) return T.mulScalar(T.add(T.sum(z1), T.sum(z2)), 0);
  const logits = T.mulScalar(T.matmul(unitRows(z1), unitRows(z2), { transB: true }), 1 / temperature);
  const pos = T.sum(T.mul(logits, diagonal(b, 1, 0)), 1, true);
  const shift = offDiagonalMax(logits.data, b);
  // −1e30 on the diagonal: exp gives exactly 0 there, so the sum runs over j ≠ i only.
  const others = T.exp(T.sub(T.add(logits, diagonal(b, -1e30, 0)), shift));
  const lse = T.add(T.log(T.sum(others, 1, true)), shift);
  return T.mean(T.sub(lse, pos));
}

/** Share of rows whose largest similarity is on the diagonal. */
function retrievalAccuracy(z1: T.Tensor, z2: T.Tensor): number {
  const b = z1.shape[0]!;
  const d = z1.shape[1]!;
  const a = z1.data;
  const c = z2.data;
  const norm = (x: Float32Array, i: number) => {
    let s = 0;
    for (let k = 0; k < d; k++) s += x[i * d + k]! ** 2;
    return Math.sqrt(s);
  };
  const n2 = Array.from({ length: b }, (_, j) => norm(c, j));
  let right = 0;
  for (let i = 0; i < b; i++) {
    let best = -1;
    let bestSim = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < b; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += a[i * d + k]! * c[j * d + k]!;
      s /= n2[j]!;
      if (s > bestSim) {
        bestSim = s;
        best = j;
      }
    }
    if (best === i) right++;
  }
  return b > 0 ? right / b : 0;
}

/** The projection head: Linear → ReLU → Linear, dim wide (graphcl.projection_head). */
export class GraphCLHead extends Module {
  readonly first: Linear;
  readonly second: Linear;
  constructor(dim: number, rng: T.Rng) {
    super();
    this.first = this.child('projection_head_0', new Linear(dim, dim, rng));
    this.second = this.child('projection_head_2', new Linear(dim, dim, rng));
  }
  forward(x: T.Tensor): T.Tensor {
    return this.second.forward(this.first.forward(x, 'relu'));
  }
}

function ratioOf(o: ObjectiveOptions, key: string): number {
  const r = o[key] ?? DEFAULT_AUG_RATIO;
  if (typeof r !== 'number' || !(r >= 0 && r < 1))
    throw new ConfigError(`graphcl: ${key} must be a number in [0, 1), got ${r}`);
  return r;
}

function augOf(o: ObjectiveOptions, key: string): Augmentation {
  const a = o[key] ?? DEFAULT_AUG;
  if (typeof a !== 'string') throw new ConfigError(`graphcl: ${key} must be an augmentation name, got ${a}`);
  return parseAugmentation(a, `graphcl: ${key}`);
}

export function readGraphCLOptions(o: ObjectiveOptions): GraphCLOptions {
  const temperature = o['temperature'] ?? DEFAULT_TEMPERATURE;
  if (typeof temperature !== 'number' || !(temperature > 0 && Number.isFinite(temperature)))
    throw new ConfigError(`graphcl: temperature must be a positive number, got ${temperature}`);
  return {
    aug1: augOf(o, 'aug1'),
    aug2: augOf(o, 'aug2'),
    augRatio1: ratioOf(o, 'augRatio1'),
    augRatio2: ratioOf(o, 'augRatio2'),
    temperature,
  };
}

export const graphclObjective: ObjectiveFactory = {
  name: 'graphcl',
  aliases: ['contrastive', 'graph-cl'],
  description:
    'GraphCL: contrast two augmented views of each molecule (You et al. 2020, GraphCL chem/pretrain_graphcl.py)',
  featurizer: null,
  moleculeLabels: [],
  defaults: {
    aug1: DEFAULT_AUG,
    aug2: DEFAULT_AUG,
    augRatio1: DEFAULT_AUG_RATIO,
    augRatio2: DEFAULT_AUG_RATIO,
    temperature: DEFAULT_TEMPERATURE,
  },
  flags: [
    {
      key: 'aug1',
      flag: '--aug1 <name>',
      help: 'graphcl: first view: none, dropN, permE, maskN, subgraph, random (random)',
    },
    { key: 'aug2', flag: '--aug2 <name>', help: 'graphcl: second view, as --aug1 (random)' },
    { key: 'augRatio1', flag: '--aug-ratio1 <x>', help: 'graphcl: share of the first view changed (0.2)' },
    { key: 'augRatio2', flag: '--aug-ratio2 <x>', help: 'graphcl: share of the second view changed (0.2)' },
    { key: 'temperature', flag: '--temperature <t>', help: 'graphcl: contrastive loss temperature (0.1)' },
  ],
  create({ dim, options, rng }): Objective<GraphCLViews> {
    const o = readGraphCLOptions(options);
    const head = new GraphCLHead(dim, rng);
    const project = (encoded: Encoded) => head.forward(readout('mean', encoded.nodes, encoded.view));
    return {
      name: 'graphcl',
      terms: ['total', 'acc'],
      head,
      prepare: (batch: PretrainBatch, r: T.Rng) => graphclViews(batch.graphs, o, r),
      loss(encode, { view1, view2 }): ObjectiveLoss {
        const z1 = project(encode(view1));
        const z2 = project(encode(view2));
        const total = graphclLoss(z1, z2, o.temperature);
        return { total, values: { total: total.item(), acc: retrievalAccuracy(z1, z2) } };
      },
    };
  },
};
