// MPNN with an edge network and a GRU update (Gilmer et al. 2017), as DGL-LifeSci's MPNNGNN
// (dgllife/model/gnn/mpnn.py, with DGL's NNConv): h⁰ = relu(atom encoder); then `steps` times
//   m_v = relu(Σ_{e = u→v} h_u · W_e + b),  W_e = edge_nn(bond e) viewed as [dim, dim],
//   h ← GRU(m, h)  (one cell, weights shared across steps, torch.nn.GRU's gate equations);
// the output is the last h. Not a GnnTrunk: no per-layer norm, dropout or jumping knowledge.
//
// Edge input: DGL feeds the featurized bonds to the edge network, real bonds only (no self loops).
// We do the same: with float features the bond rows as they are; with Hu et al.'s codes the
// one-hot of (bond type, bond direction) — 9 columns — so the edge network's first layer plays the
// role of the two edge embeddings without a redundant extra embedding layer.

import { ConfigError } from '../../errors.js';
import * as T from '../../tensor/index.js';
import { type GraphView, NUM_BOND_DIRECTIONS, NUM_BOND_TYPES } from '../graph.js';
import { AtomEncoder, type InputSpec } from '../inputs.js';
import { Linear } from '../layers.js';
import { Module } from '../module.js';

/** DGL-LifeSci's default hidden width of the edge network. */
export const MPNN_EDGE_HIDDEN = 128;

/** Width of the edge network's input for an input spec. */
export function mpnnEdgeInputDim(input: InputSpec): number {
  return input.kind === 'codes' ? NUM_BOND_TYPES + NUM_BOND_DIRECTIONS : input.bondDim;
}

/** The edge network's input rows for the real edges of a batch, [numEdges, mpnnEdgeInputDim]. */
export function mpnnEdgeInputs(input: InputSpec, g: GraphView): T.Tensor {
  const m = g.edges.src.length;
  if (input.kind === 'features')
    return T.tensor(g.batch.bondFeatures.subarray(0, m * input.bondDim), [m, input.bondDim]);
  const w = NUM_BOND_TYPES + NUM_BOND_DIRECTIONS;
  const out = new Float32Array(m * w);
  for (let e = 0; e < m; e++) {
    out[e * w + g.edges.bondType[e]!] = 1;
    out[e * w + NUM_BOND_TYPES + g.edges.bondDir[e]!] = 1;
  }
  return T.tensor(out, [m, w]);
}

/** Linear → ReLU → Linear(→ dim·dim), named "0" and "2" as the torch Sequential it mirrors. */
class EdgeNetwork extends Module {
  readonly first: Linear;
  readonly second: Linear;
  constructor(inDim: number, hidden: number, dim: number, rng: T.Rng) {
    super();
    this.first = this.child('0', new Linear(inDim, hidden, rng));
    this.second = this.child('2', new Linear(hidden, dim * dim, rng));
  }
  forward(x: T.Tensor): T.Tensor {
    return this.second.forward(this.first.forward(x, 'relu'));
  }
}

/** DGL's NNConv with sum aggregation: out_v = Σ_{e = u→v} h_u · W_e + bias (bias starts at 0). */
export class NNConv extends Module {
  readonly edgeNn: EdgeNetwork;
  readonly bias: T.Parameter;
  constructor(
    readonly dim: number,
    edgeInDim: number,
    rng: T.Rng,
    edgeHidden = MPNN_EDGE_HIDDEN,
  ) {
    super();
    this.edgeNn = this.child('edge_nn', new EdgeNetwork(edgeInDim, edgeHidden, dim, rng));
    this.bias = this.param('bias', T.constantParam('bias', [dim], 0));
  }

  /** Per-edge matrices W_e, [numEdges, dim, dim] (row index = input feature, as DGL's view). */
  edgeWeights(edgeInput: T.Tensor): T.Tensor {
    const m = edgeInput.shape[0]!;
    return T.reshape(this.edgeNn.forward(edgeInput), [m, this.dim, this.dim]);
  }

  forward(h: T.Tensor, weights: T.Tensor, g: GraphView): T.Tensor {
    const { src, dst } = g.edges;
    const m = src.length;
    const hSrc = T.reshape(T.gatherRows(h, src), [m, 1, this.dim]);
    const messages = T.reshape(T.bmm(hSrc, weights), [m, this.dim]);
    return T.add(T.scatterAdd(messages, dst, g.numNodes), this.bias);
  }
}

/**
 * torch.nn.GRU (one layer, one time step) as a cell, gates in torch's order r, z, n:
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h.
 * All weights start U(±1/√hidden), as torch.
 */
export class GRUCell extends Module {
  readonly weightIh: T.Parameter;
  readonly weightHh: T.Parameter;
  readonly biasIh: T.Parameter;
  readonly biasHh: T.Parameter;
  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    rng: T.Rng,
  ) {
    super();
    const k = 1 / Math.sqrt(hiddenSize);
    const H3 = 3 * hiddenSize;
    this.weightIh = this.param('weight_ih_l0', T.uniformParam('weight_ih_l0', [H3, inputSize], k, rng));
    this.weightHh = this.param('weight_hh_l0', T.uniformParam('weight_hh_l0', [H3, hiddenSize], k, rng));
    this.biasIh = this.param('bias_ih_l0', T.uniformParam('bias_ih_l0', [H3], k, rng));
    this.biasHh = this.param('bias_hh_l0', T.uniformParam('bias_hh_l0', [H3], k, rng));
  }

  forward(x: T.Tensor, h: T.Tensor): T.Tensor {
    const H = this.hiddenSize;
    const gi = T.linear(x, this.weightIh, this.biasIh);
    const gh = T.linear(h, this.weightHh, this.biasHh);
    const gate = (t: T.Tensor, k: number): T.Tensor => T.slice(t, 1, k * H, (k + 1) * H);
    const r = T.sigmoid(T.add(gate(gi, 0), gate(gh, 0)));
    const z = T.sigmoid(T.add(gate(gi, 1), gate(gh, 1)));
    const n = T.tanh(T.add(gate(gi, 2), T.mul(r, gate(gh, 2))));
    // (1 − z) ⊙ n + z ⊙ h = n + z ⊙ (h − n)
    return T.add(n, T.mul(z, T.sub(h, n)));
  }
}

export interface MpnnOptions {
  /** Node state width (DGL-LifeSci: node_out_feats 64). */
  readonly dim: number;
  /** Message-passing steps (DGL-LifeSci: num_step_message_passing 6). */
  readonly steps: number;
  /** Edge network hidden width (DGL-LifeSci: edge_hidden_feats 128). */
  readonly edgeHidden?: number;
}

export class MpnnEncoder extends Module {
  readonly input: AtomEncoder;
  readonly gnnLayer: NNConv;
  readonly gru: GRUCell;
  readonly outDim: number;
  constructor(
    readonly spec: InputSpec,
    readonly options: MpnnOptions,
    rng: T.Rng,
  ) {
    super();
    const { dim, steps } = options;
    if (!(Number.isInteger(dim) && dim >= 1))
      throw new ConfigError(`mpnn: dim must be a positive integer, got ${dim}`);
    if (!(Number.isInteger(steps) && steps >= 1))
      throw new ConfigError(`mpnn: needs at least one message-passing step, got ${steps}`);
    this.outDim = dim;
    this.input = this.inline(new AtomEncoder(spec, dim, rng));
    this.gnnLayer = this.child(
      'gnn_layer',
      new NNConv(dim, mpnnEdgeInputDim(spec), rng, options.edgeHidden ?? MPNN_EDGE_HIDDEN),
    );
    this.gru = this.child('gru', new GRUCell(dim, dim, rng));
  }

  /** Node embeddings [numNodes, dim]. */
  forward(g: GraphView): T.Tensor {
    let h = T.relu(this.input.forward(g));
    // The edge matrices do not change between steps: DGL recomputes them each step, with the same
    // values and (summed) gradients, so computing them once is equivalent and cheaper.
    const weights = this.gnnLayer.edgeWeights(mpnnEdgeInputs(this.spec, g));
    for (let s = 0; s < this.options.steps; s++) {
      const m = T.relu(this.gnnLayer.forward(h, weights, g));
      h = this.gru.forward(m, h);
    }
    return h;
  }
}
