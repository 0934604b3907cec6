// Basic layers as modules over the engine's ops, with PyTorch's initialization and parameter names
// (weight/bias, running_mean/running_var), so state dicts line up with torch checkpoints.

import { ConfigError } from '../errors.js';
import * as T from '../tensor/index.js';
import { Module } from './module.js';

export class Linear extends Module {
  readonly weight: T.Parameter;
  readonly bias: T.Parameter | null;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    rng: T.Rng,
    options: { bias?: boolean } = {},
  ) {
    super();
    this.weight = this.param('weight', T.linearWeight('weight', outFeatures, inFeatures, rng));
    this.bias =
      options.bias === false ? null : this.param('bias', T.linearBias('bias', outFeatures, inFeatures, rng));
  }
  forward(x: T.Tensor, act: T.Activation = 'none'): T.Tensor {
    return T.linear(x, this.weight, this.bias, act);
  }
}

export class Embedding extends Module {
  readonly weight: T.Parameter;
  /** Xavier-uniform rows by default (Hu et al.'s embeddings); 'normal' is torch's N(0, 1). */
  constructor(
    readonly numEmbeddings: number,
    readonly dim: number,
    rng: T.Rng,
    init: 'xavier' | 'normal' = 'xavier',
  ) {
    super();
    const w =
      init === 'xavier'
        ? T.xavierUniform('weight', [numEmbeddings, dim], rng)
        : T.normalParam('weight', [numEmbeddings, dim], 1, rng);
    this.weight = this.param('weight', w);
  }
  forward(index: T.Index): T.Tensor {
    return T.embedding(this.weight, index);
  }
}

/** torch.nn.BatchNorm1d over [N, C]: affine weight/bias, running statistics as buffers. */
export class BatchNorm extends Module {
  readonly weight: T.Parameter;
  readonly bias: T.Parameter;
  readonly state: T.BatchNormState;
  constructor(
    readonly channels: number,
    options: { momentum?: number; eps?: number } = {},
  ) {
    super();
    this.weight = this.param('weight', T.constantParam('weight', [channels], 1));
    this.bias = this.param('bias', T.constantParam('bias', [channels], 0));
    this.state = T.batchNormState(channels, options.momentum ?? 0.1, options.eps ?? 1e-5);
    this.buffer('running_mean', this.state.runningMean);
    this.buffer('running_var', this.state.runningVar);
  }
  forward(x: T.Tensor): T.Tensor {
    return T.batchNorm(x, this.weight, this.bias, this.state, this.training);
  }
}

/** torch.nn.LayerNorm over the last dimension. */
export class LayerNorm extends Module {
  readonly weight: T.Parameter;
  readonly bias: T.Parameter;
  constructor(
    readonly dim: number,
    readonly eps = 1e-5,
  ) {
    super();
    this.weight = this.param('weight', T.constantParam('weight', [dim], 1));
    this.bias = this.param('bias', T.constantParam('bias', [dim], 0));
  }
  forward(x: T.Tensor): T.Tensor {
    return T.layerNorm(x, this.weight, this.bias, this.eps);
  }
}

/** Dropout with the model's own generator; identity in eval mode. */
export class Dropout extends Module {
  private readonly rng: T.Rng;
  constructor(
    readonly p: number,
    rng: T.Rng,
  ) {
    super();
    if (!(p >= 0 && p < 1)) throw new ConfigError(`dropout must be in [0, 1), got ${p}`);
    this.rng = this.generator('rng', rng);
  }
  forward(x: T.Tensor): T.Tensor {
    return T.dropout(x, this.p, this.rng, this.training);
  }
}

/**
 * A stack of linear layers: act after every layer but the last, dropout before every layer but
 * the first (chemprop's FFN order) when `dropout` > 0.
 */
export class MLP extends Module {
  readonly layers: Linear[];
  private readonly drop: Dropout | null;
  constructor(
    sizes: readonly number[],
    rng: T.Rng,
    readonly act: Exclude<T.Activation, 'none'> = 'relu',
    dropout = 0,
  ) {
    super();
    if (sizes.length < 2)
      throw new ConfigError(`an MLP needs at least input and output sizes, got [${sizes.join(', ')}]`);
    this.layers = [];
    for (let i = 0; i + 1 < sizes.length; i++) {
      this.layers.push(this.child(String(i), new Linear(sizes[i]!, sizes[i + 1]!, rng)));
    }
    this.drop = dropout > 0 ? this.child('dropout', new Dropout(dropout, rng.fork())) : null;
  }
  forward(x: T.Tensor): T.Tensor {
    let h = x;
    this.layers.forEach((layer, i) => {
      if (i > 0 && this.drop) h = this.drop.forward(h);
      h = layer.forward(h, i < this.layers.length - 1 ? this.act : 'none');
    });
    return h;
  }
}
