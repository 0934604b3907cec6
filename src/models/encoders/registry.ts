// Encoders by alias. Every encoder maps a batch to node embeddings [numNodes, outDim]; readouts and
// heads are shared. Config and model files name encoders by alias and store their options, so a
// model file rebuilds its encoder from this registry alone.

import { ConfigError, unknownChoice } from '../../errors.js';
import type * as T from '../../tensor/index.js';
import { AtomEncoder, type InputSpec } from '../inputs.js';
import { GnnTrunk } from '../trunk.js';
import { dmpnnFactory } from './dmpnn.js';
import { GATConv } from './gat.js';
import { GCNConv } from './gcn.js';
import { GINConv } from './gin.js';
import { groverFactory } from './grover.js';
import { MpnnEncoder } from './mpnn.js';
import {
  DEFAULT_ENCODER_OPTIONS,
  type Encoder,
  type EncoderFactory,
  type EncoderOptions,
} from './options.js';
import { GraphSAGEConv } from './sage.js';

export {
  DEFAULT_ENCODER_OPTIONS,
  type Encoder,
  type EncoderFactory,
  type EncoderOptions,
} from './options.js';

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
