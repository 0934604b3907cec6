/**
 * Context prediction (Hu et al. 2020, "Strategies for Pre-training Graph Neural Networks";
 * snap-stanford/pretrain-gnns `chem/pretrain_contextpred.py`, `chem/util.py`
 * ExtractSubstructureContextPair and `chem/batch.py` BatchSubstructContext; read to learn the
 * rules, nothing copied), in the reference's default "cbow" mode:
 *
 * - per molecule one center atom is drawn uniformly;
 * - the substructure is the induced subgraph of the atoms at shortest-path distance ≤ k from the
 *   center (k = the encoder's layers, Hu: num_layer 5), encoded by the pretrained encoder; its
 *   representation is the center's node embedding;
 * - the context is the induced subgraph of the atoms at distance d with r1 < d ≤ r2, r1 = k − 1,
 *   r2 = r1 + csize (csize 3): the reference takes the symmetric difference of two cutoff BFS
 *   balls, both cutoffs inclusive. A cutoff of 0 is replaced by −1 there (an empty ball), so with
 *   r1 = 0 (k = 1) the context is the whole ball d ≤ r2, center included; mirrored here;
 * - the context is encoded by a separate context GNN of the same architecture and width with
 *   r2 − r1 = csize layers (held in the head: checkpointed, never in the encoder file);
 * - anchors are the context atoms that are also in the substructure (r1 < d ≤ k); their context-GNN
 *   embeddings are pooled per molecule (context_pooling, default mean) into the context
 *   representation;
 * - molecules without context atoms are dropped from the batch (BatchSubstructContext skips them);
 *   molecules with context but no anchor are dropped too (the reference cannot batch them);
 * - positive logit: ⟨substructure_i, context_i⟩; negatives: sample s = 1..negSamples pairs
 *   substructure i with context (i + s) mod n (the reference's cycle_index), n = usable molecules;
 *   loss = BCE(pos, 1) + negSamples · BCE(neg, 0), each a mean.
 *
 * Departures, all at edges the reference does not reach with its defaults: a shift that is a
 * multiple of n would pair a molecule with its own context, so shifts run over 1..n − 1 cyclically;
 * with fewer than 2 usable molecules there is no negative and the loss is the positive term alone
 * (neg, negAcc logged as 0, acc = posAcc); with none at all the loss is a zero that still touches
 * the context GNN. Only "cbow" (the reference default), not "skipgram".
 *
 * Options: substructHops (k; 0, the default, = the encoder's layers), csize (3), negSamples (1),
 * contextPooling (mean; sum, max).
 *
 * Logged terms: total, pos and neg (the BCE terms), acc = (posAcc + negAcc) / 2 as the reference
 * prints, posAcc (share of pos > 0) and negAcc (share of neg < 0). Centers are drawn from the
 * trainer's seeded generator, molecule by molecule in batch order; negatives are deterministic given
 * the batch (its order is the seeded shuffle), so runs reproduce and resume.
 */

import type { GraphBatch } from '../../data/batch.js';
import { subgraphBatch } from '../../data/subgraph.js';
import { ConfigError, MolgroveError } from '../../errors.js';
import type { Encoder } from '../../models/encoders/options.js';
import { Module } from '../../models/module.js';
import type { PoolKind } from '../../models/readout.js';
import * as T from '../../tensor/index.js';
import {
  encodeWith,
  type Objective,
  type ObjectiveContext,
  type ObjectiveFactory,
  type ObjectiveLoss,
  type ObjectiveOptions,
  type PretrainBatch,
} from '../objective.js';
import { signAccuracy } from './metrics.js';

export const DEFAULT_CSIZE = 3;
export const DEFAULT_NEG_SAMPLES = 1;
export const CONTEXT_POOLINGS = ['mean', 'sum', 'max'] as const;

export interface ContextRadii {
  /** Substructure: distance ≤ k. */
  readonly k: number;
  /** Context: lower < distance ≤ upper (lower −1 when the reference's r1 is 0). */
  readonly lower: number;
  readonly upper: number;
}

/** The reference's radii: r1 = k − 1, r2 = r1 + csize; a zero r1 becomes −1 (see the header). */
export function contextRadii(k: number, csize: number): ContextRadii {
  const r1 = k - 1;
  return { k, lower: r1 === 0 ? -1 : r1, upper: r1 + csize };
}

/** One center atom per molecule, uniform, as global atom indices (−1 for an empty molecule). */
export function drawCenters(batch: GraphBatch, rng: T.Rng): Int32Array {
  const centers = new Int32Array(batch.numGraphs);
  for (let g = 0; g < batch.numGraphs; g++) {
    const a0 = batch.atomOffsets[g]!;
    const n = batch.atomOffsets[g + 1]! - a0;
    centers[g] = n > 0 ? a0 + rng.int(n) : -1;
  }
  return centers;
}

/**
 * Shortest-path distances (in bonds) of every atom from its molecule's center, by BFS on the
 * batch's edge list; −1 for atoms the center cannot reach (other fragments of a salt).
 */
export function hopDistances(batch: GraphBatch, centers: Int32Array): Int32Array {
  const n = batch.numAtoms;
  const m = batch.numEdges;
  // CSR adjacency from the directed edges (each bond appears in both directions).
  const start = new Int32Array(n + 1);
  for (let e = 0; e < m; e++) start[batch.edgeIndex[e]! + 1]!++;
  for (let a = 0; a < n; a++) start[a + 1]! += start[a]!;
  const fill = start.slice(0, n);
  const next = new Int32Array(m);
  for (let e = 0; e < m; e++) next[fill[batch.edgeIndex[e]!]!++] = batch.edgeIndex[m + e]!;
  const dist = new Int32Array(n).fill(-1);
  const queue = new Int32Array(n);
  for (const c of centers) {
    if (c < 0) continue;
    let head = 0;
    let tail = 0;
    dist[c] = 0;
    queue[tail++] = c;
    while (head < tail) {
      const a = queue[head++]!;
      for (let j = start[a]!; j < start[a + 1]!; j++) {
        const b = next[j]!;
        if (dist[b]! >= 0) continue;
        dist[b] = dist[a]! + 1;
        queue[tail++] = b;
      }
    }
  }
  return dist;
}

/** Negative pairing: entry s·n + i is the context paired with substructure i in sample s. */
export function negativeContexts(n: number, negSamples: number): Int32Array {
  if (n < 2) return new Int32Array(0);
  const out = new Int32Array(negSamples * n);
  for (let s = 0; s < negSamples; s++) {
    const shift = (s % (n - 1)) + 1;
    for (let i = 0; i < n; i++) out[s * n + i] = (i + shift) % n;
  }
  return out;
}

export interface ContextPairs {
  /** Source-batch index of each usable molecule (those with context and anchor atoms). */
  readonly molecules: Int32Array;
  /** Global center atom of each source molecule (−1 for an empty one). */
  readonly centers: Int32Array;
  /** The usable molecules' k-hop substructures, in `molecules` order. */
  readonly substruct: GraphBatch;
  /** Row of each usable molecule's center in `substruct`. */
  readonly substructCenters: Int32Array;
  /** The usable molecules' contexts, in `molecules` order. */
  readonly context: GraphBatch;
  /** Rows of the anchor atoms in `context`, molecule by molecule. */
  readonly anchors: Int32Array;
  /** Usable-molecule index (0..n−1) of each anchor. */
  readonly anchorGraph: Int32Array;
  /** See negativeContexts. */
  readonly negatives: Int32Array;
}

/** The substructure / context pairs of a batch around given centers (deterministic). */
export function extractContextPairs(
  batch: GraphBatch,
  centers: Int32Array,
  radii: ContextRadii,
  negSamples: number,
): ContextPairs {
  const dist = hopDistances(batch, centers);
  const inSub = (d: number) => d >= 0 && d <= radii.k;
  const inCtx = (d: number) => d >= 0 && d > radii.lower && d <= radii.upper;
  const usable: number[] = [];
  for (let g = 0; g < batch.numGraphs; g++) {
    let anchors = 0;
    for (let a = batch.atomOffsets[g]!; a < batch.atomOffsets[g + 1]!; a++)
      if (inSub(dist[a]!) && inCtx(dist[a]!)) anchors++;
    // Anchors ⊂ context, so this also drops molecules without context.
    if (anchors > 0) usable.push(g);
  }
  const keepSub = new Uint8Array(batch.numAtoms);
  const keepCtx = new Uint8Array(batch.numAtoms);
  for (const g of usable)
    for (let a = batch.atomOffsets[g]!; a < batch.atomOffsets[g + 1]!; a++) {
      keepSub[a] = inSub(dist[a]!) ? 1 : 0;
      keepCtx[a] = inCtx(dist[a]!) ? 1 : 0;
    }
  const sub = subgraphBatch(batch, keepSub);
  const ctx = subgraphBatch(batch, keepCtx);
  if (sub.batch.numGraphs !== usable.length || ctx.batch.numGraphs !== usable.length)
    throw new MolgroveError('SHAPE', 'contextpred: substructure and context batches disagree');
  const anchors: number[] = [];
  const anchorGraph: number[] = [];
  usable.forEach((g, i) => {
    for (let a = batch.atomOffsets[g]!; a < batch.atomOffsets[g + 1]!; a++)
      if (keepSub[a] && keepCtx[a]) {
        anchors.push(ctx.atomMap[a]!);
        anchorGraph.push(i);
      }
  });
  return {
    molecules: Int32Array.from(usable),
    centers,
    substruct: sub.batch,
    substructCenters: Int32Array.from(usable, (g) => sub.atomMap[centers[g]!]!),
    context: ctx.batch,
    anchors: Int32Array.from(anchors),
    anchorGraph: Int32Array.from(anchorGraph),
    negatives: negativeContexts(usable.length, negSamples),
  };
}

interface ContextPredOptions {
  /** Substructure radius; 0 in the options means the encoder's layers. */
  readonly k: number;
  readonly csize: number;
  readonly negSamples: number;
  readonly pooling: PoolKind;
}

function integerAtLeast(name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw new ConfigError(`contextpred: ${name} must be an integer ≥ ${min}, got ${String(v)}`);
  return v;
}

function readOptions(o: ObjectiveOptions, encoderLayers: number): ContextPredOptions {
  const k = integerAtLeast('substructHops', o['substructHops'] ?? 0, 0);
  const pooling = o['contextPooling'] ?? 'mean';
  if (typeof pooling !== 'string' || !(CONTEXT_POOLINGS as readonly string[]).includes(pooling))
    throw new ConfigError(
      `contextpred: context pooling must be one of ${CONTEXT_POOLINGS.join(', ')}, got '${String(pooling)}'`,
    );
  return {
    k: k === 0 ? encoderLayers : k,
    csize: integerAtLeast('csize', o['csize'] ?? DEFAULT_CSIZE, 1),
    negSamples: integerAtLeast('negSamples', o['negSamples'] ?? DEFAULT_NEG_SAMPLES, 1),
    pooling: pooling as PoolKind,
  };
}

/** The context GNN (Hu et al.'s model_context): same architecture and width, csize layers. */
class ContextPredHead extends Module {
  readonly context: Encoder;
  constructor(ctx: ObjectiveContext, layers: number) {
    super();
    this.context = this.child('context', ctx.makeEncoder({ layers }, ctx.rng));
    if (this.context.outDim !== ctx.dim)
      throw new ConfigError(
        `contextpred: the context GNN's embeddings have width ${this.context.outDim}, the encoder's ${ctx.dim} (JK concat?)`,
      );
  }
}

/** Row-wise dot products of two [n, d] tensors: [n]. */
const rowDots = (a: T.Tensor, b: T.Tensor): T.Tensor => T.sum(T.mul(a, b), 1);

export const contextPredObjective: ObjectiveFactory = {
  name: 'contextpred',
  aliases: ['context-pred', 'contextprediction', 'context-prediction'],
  description:
    'context prediction: k-hop substructure vs. context ring, separate context GNN (Hu et al. 2020, pretrain-gnns chem/pretrain_contextpred.py)',
  featurizer: null,
  moleculeLabels: [],
  defaults: {
    substructHops: 0,
    csize: DEFAULT_CSIZE,
    negSamples: DEFAULT_NEG_SAMPLES,
    contextPooling: 'mean',
  },
  flags: [
    {
      key: 'substructHops',
      flag: '--substruct-hops <k>',
      help: "contextpred: substructure radius k (0 = the encoder's layers, as Hu et al.)",
    },
    {
      key: 'csize',
      flag: '--csize <n>',
      help: 'contextpred: context ring width; context = distance in (k−1, k−1+csize] (3)',
    },
    {
      key: 'negSamples',
      flag: '--neg-samples <n>',
      help: 'contextpred: negative contexts per positive (1)',
    },
    {
      key: 'contextPooling',
      flag: '--context-pooling <mode>',
      help: 'contextpred: pooling of the anchor atoms: mean, sum or max (mean)',
    },
  ],
  create(ctx): Objective<ContextPairs> {
    const o = readOptions(ctx.options, ctx.encoderOptions.layers);
    const radii = contextRadii(o.k, o.csize);
    const head = new ContextPredHead(ctx, o.csize);
    const encodeContext = encodeWith(head.context);
    return {
      name: 'contextpred',
      terms: ['total', 'pos', 'neg', 'acc', 'posAcc', 'negAcc'],
      head,
      prepare: (batch: PretrainBatch, rng: T.Rng) =>
        extractContextPairs(batch.graphs, drawCenters(batch.graphs, rng), radii, o.negSamples),
      loss(encode, p): ObjectiveLoss {
        const n = p.molecules.length;
        if (n === 0) {
          // Nothing usable (e.g. only single atoms): a zero that keeps the graph connected.
          const zero = T.mulScalar(T.sum(head.parameters()[0]!), 0);
          return { total: zero, values: { total: 0, pos: 0, neg: 0, acc: 0, posAcc: 0, negAcc: 0 } };
        }
        const sub = T.gatherRows(encode(p.substruct).nodes, p.substructCenters);
        const { nodes } = encodeContext(p.context);
        const ctxRep = poolAnchors(o.pooling, T.gatherRows(nodes, p.anchors), p.anchorGraph, n);
        const posLogits = rowDots(sub, ctxRep);
        const pos = T.bceWithLogits(posLogits, new Float32Array(n).fill(1));
        const posAcc = signAccuracy(posLogits.data, 1);
        if (p.negatives.length === 0)
          return {
            total: pos,
            values: { total: pos.item(), pos: pos.item(), neg: 0, acc: posAcc, posAcc, negAcc: 0 },
          };
        const repeat = Int32Array.from(p.negatives, (_, j) => j % n);
        const negLogits = rowDots(T.gatherRows(sub, repeat), T.gatherRows(ctxRep, p.negatives));
        const neg = T.bceWithLogits(negLogits, new Float32Array(negLogits.data.length));
        const negAcc = signAccuracy(negLogits.data, 0);
        const total = T.add(pos, T.mulScalar(neg, o.negSamples));
        return {
          total,
          values: {
            total: total.item(),
            pos: pos.item(),
            neg: neg.item(),
            acc: (posAcc + negAcc) / 2,
            posAcc,
            negAcc,
          },
        };
      },
    };
  },
};

/** Pools anchor embeddings [anchors, d] per molecule → [n, d]. */
function poolAnchors(kind: PoolKind, x: T.Tensor, segment: Int32Array, n: number): T.Tensor {
  if (kind === 'mean') return T.segmentMean(x, segment, n);
  if (kind === 'sum') return T.segmentSum(x, segment, n);
  return T.segmentMax(x, segment, n);
}
