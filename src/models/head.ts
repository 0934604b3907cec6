// The prediction head: chemprop's FFN (create_ffn). With L layers: dropout → Linear(in, hidden),
// then L−2 × (act → dropout → Linear(hidden, hidden)), then act → dropout → Linear(hidden, tasks).
// One layer is dropout → Linear(in, tasks): with dropout 0 that is Hu et al.'s graph_pred_linear.

import { ConfigError } from '../errors.js';
import type * as T from '../tensor/index.js';
import { Dropout, Linear } from './layers.js';
import { Module, ModuleList } from './module.js';

export interface HeadOptions {
  /** Linear layers (chemprop ffn_num_layers; Hu et al. 1). */
  readonly layers: number;
  /** Width of the hidden layers (chemprop ffn_hidden_size; default: the input width). */
  readonly hidden: number;
  readonly dropout: number;
  readonly act: Exclude<T.Activation, 'none'>;
}

export class FFNHead extends Module {
  readonly linears: readonly Linear[];
  private readonly drop: Dropout;
  constructor(
    readonly inDim: number,
    readonly outDim: number,
    readonly options: HeadOptions,
    rng: T.Rng,
  ) {
    super();
    const { layers, hidden } = options;
    if (!Number.isInteger(layers) || layers < 1)
      throw new ConfigError(`ffn layers must be ≥ 1, got ${layers}`);
    if (layers > 1 && !(Number.isInteger(hidden) && hidden >= 1))
      throw new ConfigError(`ffn hidden size must be ≥ 1, got ${hidden}`);
    const sizes = [inDim, ...Array.from({ length: layers - 1 }, () => hidden), outDim];
    this.drop = this.child('dropout', new Dropout(options.dropout, rng.fork()));
    this.linears = this.child(
      'ffn',
      new ModuleList(sizes.slice(1).map((out, i) => new Linear(sizes[i]!, out, rng))),
    ).items;
  }

  forward(x: T.Tensor): T.Tensor {
    let h = x;
    const last = this.linears.length - 1;
    this.linears.forEach((lin, i) => {
      h = lin.forward(this.drop.forward(h), i < last ? this.options.act : 'none');
    });
    return h;
  }
}
