// GROVER's dyMPN (grover/model/layers.py, MPNEncoder as the Heads build it: input_layer "none",
// attach_fea off, dense off, undirected off) and the small modules the GTransformer shares:
// activation modules with GROVER's parameter names, the hop sampler.
//
// One encoder's forward, with `input` the block's (projected) features and msg0 = input:
//   ndepth = depth in eval mode; in training int(truncnorm(μ=depth, σ=1, [depth−3, depth+3]))
//            ('truncnorm', GROVER's Heads) or numpy randint(depth−3, depth+3) ('uniform')
//   repeat ndepth − 1 times (zero times when ndepth ≤ 1: GROVER's range(ndepth − 1) is empty):
//     node view:  agg[i] = Σ_{j ∈ a2a[i]} msg[j]
//     edge view:  agg[b] = (Σ_{c ∈ a2b[b2a[b]]} msg[c]) − msg[b2revb[b]]
//     msg = dropout(act(input + W_h(agg)))     (dense=False: the residual to the input every hop)
// W_h (h×h, bias with --bias) is shared across hops; each encoder has its own activation (PReLU
// slope) and dropout.

import { ConfigError } from '../../errors.js';
import * as T from '../../tensor/index.js';
import { Dropout, Linear } from '../layers.js';
import { Module } from '../module.js';
import type { Topology } from './graph.js';

/** GROVER's --activation choices that the engine supports (SELU/ELU are not). */
export type GroverAct = 'prelu' | 'relu' | 'leakyrelu' | 'tanh' | 'linear';
export const GROVER_ACTS: readonly GroverAct[] = ['prelu', 'relu', 'leakyrelu', 'tanh', 'linear'];

/** How training-mode forward passes draw the dyMPN hop count. */
export type HopMode = 'truncnorm' | 'uniform' | 'fixed';

/** An activation as a module (torch.nn.PReLU holds one learnable slope, `weight`, init 0.25). */
export class Activation extends Module {
  readonly weight: T.Parameter | null;
  constructor(readonly kind: GroverAct) {
    super();
    if (!GROVER_ACTS.includes(kind)) throw new ConfigError(`GROVER activation '${kind}' is not supported`);
    this.weight = kind === 'prelu' ? this.param('weight', T.constantParam('weight', [1], 0.25)) : null;
  }
  forward(x: T.Tensor): T.Tensor {
    switch (this.kind) {
      case 'prelu':
        return T.prelu(x, this.weight!);
      case 'relu':
        return T.relu(x);
      case 'leakyrelu':
        return T.leakyRelu(x, 0.1);
      case 'tanh':
        return T.tanh(x);
      default:
        return x;
    }
  }
}

/**
 * GROVER's `ndepth` for one training-mode forward pass (the loop then runs ndepth − 1 times).
 * 'truncnorm': int() (toward zero) of a normal(depth, 1) draw truncated to [depth − 3, depth + 3]
 * (scipy.stats.truncnorm; drawn here by rejection), so values depth−3 … depth+2 (depth+3 has
 * probability 0). 'uniform': numpy.random.randint(depth − 3, depth + 3), i.e. depth−3 … depth+2.
 * 'fixed': depth. Values may be ≤ 1 (no message passing) when depth < 5, as in GROVER.
 */
export function sampleNdepth(depth: number, mode: HopMode, rng: T.Rng): number {
  if (mode === 'fixed') return depth;
  if (mode === 'uniform') return depth - 3 + rng.int(6);
  for (;;) {
    const x = rng.normal(depth, 1);
    if (x >= depth - 3 && x <= depth + 3) return Math.trunc(x);
  }
}

export interface DympnOptions {
  readonly hidden: number;
  readonly depth: number;
  readonly dropout: number;
  readonly act: GroverAct;
  readonly bias: boolean;
  readonly hops: HopMode;
  /** Lower bound on message-passing iterations (GROVER: 0). */
  readonly minIterations: number;
}

export class DyMPN extends Module {
  readonly W_h: Linear;
  readonly act_func: Activation;
  private readonly drop: Dropout;
  private readonly rng: T.Rng;
  /** Iterations run by the last forward pass (for tests and logging). */
  lastIterations = 0;

  constructor(
    readonly options: DympnOptions,
    readonly atomMessages: boolean,
    rng: T.Rng,
  ) {
    super();
    const h = options.hidden;
    this.W_h = this.child('W_h', new Linear(h, h, rng, { bias: options.bias }));
    this.act_func = this.child('act_func', new Activation(options.act));
    this.drop = this.child('dropout_layer', new Dropout(options.dropout, rng.fork()));
    this.rng = this.generator('depth_rng', rng.fork());
  }

  /** Message-passing iterations for the next forward pass (draws in training mode). */
  iterations(): number {
    const { depth, hops, minIterations } = this.options;
    const nd = this.training ? sampleNdepth(depth, hops, this.rng) : depth;
    return Math.max(minIterations, nd - 1, 0);
  }

  forward(input: T.Tensor, topo: Topology): T.Tensor {
    const iters = this.iterations();
    this.lastIterations = iters;
    let msg = input;
    for (let it = 0; it < iters; it++) {
      let agg: T.Tensor;
      if (this.atomMessages) {
        agg = T.gatherScatter(msg, topo.a2aSrc, topo.a2aDst, topo.nA);
      } else {
        const atomSum = T.gatherScatter(msg, topo.a2bSrc, topo.a2bDst, topo.nA);
        agg = T.sub(T.gatherRows(atomSum, topo.b2a), T.gatherRows(msg, topo.b2revb));
      }
      msg = this.drop.forward(this.act_func.forward(T.add(input, this.W_h.forward(agg))));
    }
    return msg;
  }
}
