// Hu et al.'s GraphSAGE convolution with edge embeddings (pretrain-gnns chem/model.py,
// GraphSAGEConv): x = linear(h); m_v = mean_{e = u→v, self loops included} (x_u + edge(e));
// h'_v = m_v / max(‖m_v‖₂, 1e-12) (F.normalize, p = 2). There is no root weight or concat with
// h_v as in the original GraphSAGE paper; the self loop stands in for it.

import * as T from '../../tensor/index.js';
import type { GraphView } from '../graph.js';
import { EdgeEncoder, type InputSpec } from '../inputs.js';
import { Linear } from '../layers.js';
import { Module } from '../module.js';

/** F.normalize's default eps: the norm is clamped from below by it. */
const NORMALIZE_EPS = 1e-12;

export class GraphSAGEConv extends Module {
  readonly linear: Linear;
  readonly edge: EdgeEncoder;
  constructor(
    readonly dim: number,
    input: InputSpec,
    rng: T.Rng,
    readonly perEdgeMessages = false,
  ) {
    super();
    this.linear = this.child('linear', new Linear(dim, dim, rng));
    this.edge = this.inline(new EdgeEncoder(input, dim, rng));
  }

  forward(h: T.Tensor, g: GraphView): T.Tensor {
    const e = g.edgesWithSelfLoops;
    const n = g.numNodes;
    const x = this.linear.forward(h);
    let agg: T.Tensor;
    if (this.perEdgeMessages) {
      agg = T.segmentMean(T.add(T.gatherRows(x, e.src), this.edge.forward(g)), e.dst, n);
    } else {
      // Mean = fused sum / in-degree (self loop included, so never 0).
      const counts = T.segmentCounts(e.dst, n);
      const inv = new Float32Array(n);
      for (let i = 0; i < n; i++) inv[i] = 1 / Math.max(1, counts[i]!);
      const sum = T.add(T.gatherScatter(x, e.src, e.dst, n), this.edge.sumAtTargets(g));
      agg = T.mul(sum, T.tensor(inv, [n, 1]));
    }
    return l2Normalize(agg, NORMALIZE_EPS);
  }
}

/**
 * Rows divided by max(‖row‖₂, eps), as F.normalize(p = 2, dim = -1). The clamp is taken on the
 * squared norm, max(s, eps²) = relu(s − eps²) + eps², so sqrt never sees 0 and its gradient stays
 * finite on an all-zero row (sqrt(max(s, eps²)) = max(√s, eps) exactly).
 */
export function l2Normalize(x: T.Tensor, eps: number): T.Tensor {
  const sq = T.sum(T.square(x), 1, true);
  const eps2 = eps * eps;
  const norm = T.sqrt(T.affine(T.relu(T.affine(sq, 1, -eps2)), 1, eps2));
  return T.div(x, norm);
}
