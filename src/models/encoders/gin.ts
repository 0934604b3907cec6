// Hu et al.'s GIN convolution with edge embeddings (pretrain-gnns chem/model.py, GINConv):
// h'_v = MLP(Σ_{u ∈ N(v) ∪ {v}} h_u + edge(u→v)), MLP = dim → 2·dim → dim, where edge(u→v) is
// E1[bond type] + E2[bond direction] with codes, or a linear map of the bond's float features.
// By default the sum runs as fused gather-scatter passes, never materializing one row per edge;
// `perEdgeMessages` spells it out edge by edge as PyG does (same numbers, more memory; for comparisons).

import * as T from '../../tensor/index.js';
import type { GraphView } from '../graph.js';
import { EdgeEncoder, type InputSpec } from '../inputs.js';
import { MLP } from '../layers.js';
import { Module } from '../module.js';

export class GINConv extends Module {
  readonly edge: EdgeEncoder;
  readonly mlp: MLP;
  constructor(
    readonly dim: number,
    input: InputSpec,
    rng: T.Rng,
    readonly perEdgeMessages = false,
  ) {
    super();
    this.edge = this.inline(new EdgeEncoder(input, dim, rng));
    this.mlp = this.child('mlp', new MLP([dim, 2 * dim, dim], rng));
  }

  forward(h: T.Tensor, g: GraphView): T.Tensor {
    const e = g.edgesWithSelfLoops;
    const n = g.numNodes;
    if (this.perEdgeMessages) {
      return this.mlp.forward(T.scatterAdd(T.add(T.gatherRows(h, e.src), this.edge.forward(g)), e.dst, n));
    }
    return this.mlp.forward(T.add(T.gatherScatter(h, e.src, e.dst, n), this.edge.sumAtTargets(g)));
  }
}
