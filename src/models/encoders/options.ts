// What every encoder is and takes: the Encoder interface, the options all architectures share and
// their defaults. Kept apart from the registry so encoder modules can use it without import cycles.

import type * as T from '../../tensor/index.js';
import type { GraphView } from '../graph.js';
import type { GroverOptions } from '../grover/encoder.js';
import type { InputSpec } from '../inputs.js';
import type { Module } from '../module.js';
import type { JumpingKnowledge, NormKind } from '../trunk.js';

/** An encoder: node embeddings of a batch. */
export interface Encoder extends Module {
  /** Width of the node embeddings. */
  readonly outDim: number;
  forward(g: GraphView): T.Tensor;
  /**
   * Encoders with several node-level views (GROVER: from the node view and from the edge view)
   * name them and give them apart, each viewDim wide; a model then heads each view separately.
   */
  readonly viewNames?: readonly string[];
  readonly viewDim?: number;
  forwardViews?(g: GraphView): T.Tensor[];
}

/** Every encoder hyperparameter (each architecture reads the ones it uses). */
export interface EncoderOptions {
  /** Hidden width (Hu et al.: emb_dim 300; chemprop: hidden_size 300). */
  readonly dim: number;
  /** Message-passing layers (Hu et al.: num_layer 5; chemprop: depth 3). */
  readonly layers: number;
  readonly dropout: number;
  readonly jk: JumpingKnowledge;
  readonly norm: NormKind;
  readonly act: Exclude<T.Activation, 'none'>;
  /** Attention heads (GAT; Hu et al. use 2). */
  readonly heads: number;
  /** Materialize one message row per edge (PyG's way) where a fused aggregation exists. */
  readonly perEdgeMessages: boolean;
  /** GROVER's full options (arch 'grover'); dim, layers, heads and dropout mirror them. */
  readonly grover?: GroverOptions;
}

export interface EncoderFactory {
  readonly name: string;
  readonly aliases: readonly string[];
  /** One line for --help, naming the reference implementation. */
  readonly description: string;
  /** Defaults this architecture's reference code uses, over DEFAULT_ENCODER_OPTIONS. */
  readonly defaults: Partial<EncoderOptions>;
  create(input: InputSpec, options: EncoderOptions, rng: T.Rng): Encoder;
}

/** Hu et al.'s fine-tuning GNN: 5 layers of 300, batch norm, ReLU, dropout 0.5, JK last. */
export const DEFAULT_ENCODER_OPTIONS: EncoderOptions = {
  dim: 300,
  layers: 5,
  dropout: 0.5,
  jk: 'last',
  norm: 'batch',
  act: 'relu',
  heads: 2,
  perEdgeMessages: false,
};
