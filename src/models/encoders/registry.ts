// Encoders by alias. Every encoder maps a batch to node embeddings [numNodes, outDim]; readouts and
// heads are shared. Config and model files name encoders by alias and store their options, so a
// model file rebuilds its encoder from this registry alone.

import { ConfigError, unknownChoice } from '../../errors.js';
import type * as T from '../../tensor/index.js';
import type { GraphView } from '../graph.js';
import type { GroverOptions } from '../grover/encoder.js';
import { AtomEncoder, type InputSpec } from '../inputs.js';
import type { Module } from '../module.js';
import { GnnTrunk, type JumpingKnowledge, type NormKind } from '../trunk.js';
import { dmpnnFactory } from './dmpnn.js';
import { GATConv } from './gat.js';
import { GCNConv } from './gcn.js';
import { GINConv } from './gin.js';
import { groverFactory } from './grover.js';
import { MpnnEncoder } from './mpnn.js';
import { GraphSAGEConv } from './sage.js';

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

/** A Hu et al.-style trunk (input encoder, then `layers` convs with norm, act, dropout, JK). */
export function trunkOf(
  input: InputSpec,
  o: EncoderOptions,
  rng: T.Rng,
  conv: (layer: number) => ConstructorParameters<typeof GnnTrunk>[1][number],
): GnnTrunk {
  const atoms = new AtomEncoder(input, o.dim, rng);
  const convs = Array.from({ length: o.layers }, (_, l) => conv(l));
  return new GnnTrunk(
    atoms,
    convs,
    { dim: o.dim, dropout: o.dropout, jk: o.jk, norm: o.norm, act: o.act },
    rng,
  );
}

export const ENCODERS: EncoderFactory[] = [
  {
    name: 'gin',
    aliases: [],
    description: 'GIN with edge embeddings (Hu et al. 2020, pretrain-gnns chem/model.py)',
    defaults: {},
    create: (input, o, rng) =>
      trunkOf(input, o, rng, () => new GINConv(o.dim, input, rng, o.perEdgeMessages)),
  },
  {
    name: 'gcn',
    aliases: [],
    description:
      'GCN with edge embeddings, symmetric degree norm (Hu et al. 2020, pretrain-gnns chem/model.py GCNConv)',
    defaults: {},
    create: (input, o, rng) => trunkOf(input, o, rng, () => new GCNConv(o.dim, input, rng)),
  },
  {
    name: 'sage',
    aliases: ['graphsage'],
    description:
      'GraphSAGE, mean aggregation + L2 normalize, edge embeddings (Hu et al. 2020, pretrain-gnns chem/model.py GraphSAGEConv)',
    defaults: {},
    create: (input, o, rng) =>
      trunkOf(input, o, rng, () => new GraphSAGEConv(o.dim, input, rng, o.perEdgeMessages)),
  },
  {
    name: 'gat',
    aliases: [],
    description:
      'GAT, 2 heads averaged, edge embeddings (Hu et al. 2020, pretrain-gnns chem/model.py GATConv)',
    defaults: {},
    create: (input, o, rng) => trunkOf(input, o, rng, () => new GATConv(o.dim, input, rng, o.heads)),
  },
  {
    name: 'mpnn',
    aliases: [],
    description:
      'MPNN: edge network + GRU, 64 wide (Gilmer et al. 2017, as DGL-LifeSci dgllife/model/gnn/mpnn.py MPNNGNN)',
    // dim² floats per edge for the edge matrices, so DGL-LifeSci's 64 rather than 300; 3 steps
    // (DGL-LifeSci: 6). Reads dim and layers (= steps) only: no norm, dropout or JK.
    defaults: { dim: 64, layers: 3 },
    create: (input, o, rng) => {
      if (o.jk !== 'last') throw new ConfigError(`mpnn has no jumping knowledge (got jk "${o.jk}")`);
      return new MpnnEncoder(input, { dim: o.dim, steps: o.layers }, rng);
    },
  },
  dmpnnFactory,
  groverFactory,
];

export function encoderNames(): string[] {
  return ENCODERS.flatMap((e) => [e.name, ...e.aliases]);
}

export function getEncoder(name: string): EncoderFactory {
  const key = name.trim().toLowerCase();
  const found = ENCODERS.find((e) => e.name === key || e.aliases.includes(key));
  if (!found) throw unknownChoice('architecture', name, encoderNames());
  return found;
}

/** Builds an encoder by alias with its reference defaults under `options`. */
export function createEncoder(
  name: string,
  input: InputSpec,
  options: Partial<EncoderOptions>,
  rng: T.Rng,
): Encoder {
  const f = getEncoder(name);
  return f.create(input, { ...DEFAULT_ENCODER_OPTIONS, ...f.defaults, ...options }, rng);
}
