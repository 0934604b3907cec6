// The shared message-passing trunk: input encoding, then per layer conv → norm → activation
// (all but the last layer) → dropout, then jumping knowledge. Architectures differ only in their
// conv (Hu et al.'s GNN class, generalized).

import { ConfigError } from '../errors.js';
import * as T from '../tensor/index.js';
import type { GraphView } from './graph.js';
import type { AtomEncoder } from './inputs.js';
import { BatchNorm, Dropout, LayerNorm } from './layers.js';
import { Module, ModuleList } from './module.js';

/** A graph convolution: node states in, node states out (same width). */
export interface Conv extends Module {
  forward(h: T.Tensor, g: GraphView): T.Tensor;
}

export type JumpingKnowledge = 'last' | 'concat' | 'sum';
export type NormKind = 'batch' | 'layer' | 'none';

export interface TrunkOptions {
  dim: number;
  dropout: number;
  jk: JumpingKnowledge;
  norm: NormKind;
  act: Exclude<T.Activation, 'none'>;
}

const ACTIVATION_OPS: Record<Exclude<T.Activation, 'none'>, (x: T.Tensor) => T.Tensor> = {
  relu: T.relu,
  tanh: T.tanh,
  sigmoid: T.sigmoid,
  gelu: T.gelu,
};

export class GnnTrunk extends Module {
  readonly convs: readonly Conv[];
  private readonly norms: readonly (BatchNorm | LayerNorm)[];
  private readonly drop: Dropout;
  constructor(
    readonly input: AtomEncoder,
    convs: readonly Conv[],
    readonly options: TrunkOptions,
    rng: T.Rng,
  ) {
    super();
    if (convs.length < 1) throw new ConfigError('a GNN needs at least one layer');
    this.inline(input);
    this.convs = this.child('gnns', new ModuleList(convs)).items;
    const norms = convs.map(() =>
      options.norm === 'batch' ? new BatchNorm(options.dim) : new LayerNorm(options.dim),
    );
    this.norms =
      options.norm === 'none' ? [] : this.child(`${options.norm}_norms`, new ModuleList(norms)).items;
    this.drop = this.child('dropout', new Dropout(options.dropout, rng.fork()));
  }

  /** Width of the node embeddings this trunk outputs. */
  get outDim(): number {
    return this.options.jk === 'concat' ? this.options.dim * (this.convs.length + 1) : this.options.dim;
  }

  /** Node embeddings [numNodes, outDim]. */
  forward(g: GraphView): T.Tensor {
    const states: T.Tensor[] = [this.input.forward(g)];
    const last = this.convs.length - 1;
    this.convs.forEach((conv, l) => {
      let h = conv.forward(states[l]!, g);
      const norm = this.norms[l];
      if (norm) h = norm.forward(h);
      if (l < last) h = ACTIVATION_OPS[this.options.act](h);
      states.push(this.drop.forward(h));
    });
    switch (this.options.jk) {
      case 'last':
        return states[states.length - 1]!;
      case 'concat':
        return T.concat(states, 1);
      case 'sum':
        return T.addN(states);
    }
  }
}
