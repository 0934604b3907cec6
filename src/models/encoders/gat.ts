// Hu et al.'s GAT convolution with edge embeddings (pretrain-gnns chem/model.py, GATConv):
// x = weight_linear(h) viewed as [N, heads, dim]; per edge e = u→v (self loops included)
// x_j = x_u + edge(e) (edge embeddings of width heads·dim), x_i = x_v;
// α_e = softmax(leaky_relu(⟨[x_i ‖ x_j], att⟩, 0.2)) per head; h'_v = mean_heads Σ_e α_e·x_j + bias.
//
// Quirk kept on purpose: the reference normalizes α over edges grouped by edge_index[0] — the
// SOURCE atom u — while the messages are summed at the target v (PyG's source_to_target flow). So
// the weights leaving each atom sum to 1, not those entering it. We follow the reference.

import * as T from '../../tensor/index.js';
import type { GraphView } from '../graph.js';
import { EdgeEncoder, type InputSpec } from '../inputs.js';
import { Linear } from '../layers.js';
import { Module } from '../module.js';

export class GATConv extends Module {
  readonly weightLinear: Linear;
  readonly att: T.Parameter;
  readonly bias: T.Parameter;
  readonly edge: EdgeEncoder;
  constructor(
    readonly dim: number,
    input: InputSpec,
    rng: T.Rng,
    readonly heads = 2,
    readonly negativeSlope = 0.2,
  ) {
    super();
    this.weightLinear = this.child('weight_linear', new Linear(dim, heads * dim, rng));
    // PyG's glorot: U(±√(6 / (size(-2) + size(-1)))) = U(±√(6 / (heads + 2·dim))) on [1, heads, 2·dim].
    const bound = Math.sqrt(6 / (heads + 2 * dim));
    this.att = this.param('att', T.uniformParam('att', [1, heads, 2 * dim], bound, rng));
    this.bias = this.param('bias', T.constantParam('bias', [dim], 0));
    this.edge = this.inline(new EdgeEncoder(input, heads * dim, rng));
  }

  private mask: T.Tensor | undefined;
  /** [heads·dim, heads] with 1 where row k belongs to head ⌊k / dim⌋. */
  private headMask(): T.Tensor {
    if (!this.mask) {
      const { heads: H, dim: D } = this;
      const m = new Float32Array(H * D * H);
      for (let k = 0; k < H * D; k++) m[k * H + Math.floor(k / D)] = 1;
      this.mask = T.keep(T.tensor(m, [H * D, H]));
    }
    return this.mask;
  }

  forward(h: T.Tensor, g: GraphView): T.Tensor {
    const e = g.edgesWithSelfLoops;
    const n = g.numNodes;
    const E = e.src.length;
    const H = this.heads;
    const D = this.dim;
    const x = T.reshape(this.weightLinear.forward(h), [n, H, D]);
    const xj = T.add(T.gatherRows(x, e.src), T.reshape(this.edge.forward(g), [E, H, D]));
    // ⟨[x_i ‖ x_j], att⟩ = ⟨x_i, att[:D]⟩ + ⟨x_j, att[D:]⟩; the x_i half depends on the node only.
    // Each half becomes a block-diagonal [heads·dim, heads] matrix, so the per-head dot products of
    // all rows are one GEMM (instead of a broadcast product and a reduction over [rows, heads, dim]).
    const mask = this.headMask();
    const block = (from: number): T.Tensor =>
      T.mul(mask, T.reshape(T.slice(this.att, 2, from, from + D), [H * D, 1]));
    const headDot = (t: T.Tensor, a: T.Tensor, rows: number): T.Tensor =>
      T.matmul(T.reshape(t, [rows, H * D]), a);
    const attI = block(0);
    const attJ = block(D);
    const scoreI = T.gatherRows(headDot(x, attI, n), e.dst);
    const scoreJ = headDot(xj, attJ, E);
    const logits = T.leakyRelu(T.add(scoreI, scoreJ), this.negativeSlope);
    // Grouped by the source atom, as the reference does (see the header).
    const alpha = T.segmentSoftmax(logits, e.src, n);
    const messages = T.mul(xj, T.reshape(alpha, [E, H, 1]));
    const agg = T.scatterAdd(messages, e.dst, n);
    return T.add(T.mean(agg, 1), this.bias);
  }
}
