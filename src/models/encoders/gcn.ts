// Hu et al.'s GCN convolution with edge embeddings (pretrain-gnns chem/model.py, GCNConv):
// x = linear(h); h'_v = Σ_{e = u→v, self loops included} norm_e · (x_u + edge(e)), with
// norm_e = deg(u)^-1/2 · deg(v)^-1/2 and deg counted over the edge sources (edge_index[0], "row")
// with self loops. Molecular edges come in both directions, so source and target degrees agree;
// the source side is kept to follow the reference exactly.

import * as T from '../../tensor/index.js';
import type { GraphView } from '../graph.js';
import { EdgeEncoder, type InputSpec } from '../inputs.js';
import { Linear } from '../layers.js';
import { Module } from '../module.js';

export class GCNConv extends Module {
  readonly linear: Linear;
  readonly edge: EdgeEncoder;
  constructor(
    readonly dim: number,
    input: InputSpec,
    rng: T.Rng,
  ) {
    super();
    this.linear = this.child('linear', new Linear(dim, dim, rng));
    this.edge = this.inline(new EdgeEncoder(input, dim, rng));
  }

  forward(h: T.Tensor, g: GraphView): T.Tensor {
    const e = g.edgesWithSelfLoops;
    const n = g.numNodes;
    const x = this.linear.forward(h);
    const messages = T.add(T.gatherRows(x, e.src), this.edge.forward(g));
    return T.scatterAdd(T.mul(messages, gcnNorm(e.src, e.dst, n)), e.dst, n);
  }
}

/** deg^-1/2[src]·deg^-1/2[dst] per edge, [E, 1], deg over edge sources (a constant: no gradient). */
export function gcnNorm(src: Int32Array, dst: Int32Array, n: number): T.Tensor {
  const deg = new Float64Array(n);
  for (let i = 0; i < src.length; i++) deg[src[i]!]! += 1;
  // Every node has its self loop, so deg ≥ 1 (the reference maps 1/√0 = inf to 0; it cannot occur).
  const inv = deg.map((d) => (d > 0 ? 1 / Math.sqrt(d) : 0));
  const norm = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) norm[i] = inv[src[i]!]! * inv[dst[i]!]!;
  return T.tensor(norm, [src.length, 1]);
}
