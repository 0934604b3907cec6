// GROVER's GTransformer (src/models/grover) as a registry encoder. It has two node-level views, the
// atom embeddings from the node view and from the edge view (atom_from_atom, atom_from_bond): a
// MoleculeModel gives each view its own head over one shared readout, as GROVER's fine-tuning task
// does. `forward` (one tensor, e.g. for fingerprints) is the two views side by side, [atoms, 2h].

import { ConfigError } from '../../errors.js';
import * as T from '../../tensor/index.js';
import type { EncoderDescription } from '../encoder-file.js';
import type { GraphView } from '../graph.js';
import { GROVER_PRESETS, GroverEncoder, type GroverOptions } from '../grover/encoder.js';
import { GROVER_ATOM_DIM, GROVER_BOND_DIM, groverGraph } from '../grover/graph.js';
import { type InputSpec, inputSpecFor } from '../inputs.js';
import { Module } from '../module.js';
import {
  DEFAULT_ENCODER_OPTIONS,
  type Encoder,
  type EncoderFactory,
  type EncoderOptions,
} from './options.js';

export const GROVER_VIEWS = ['atom_from_atom', 'atom_from_bond'] as const;

/** GROVER's options from an EncoderOptions: `grover` when given, else the base preset resized. */
export function groverOptionsOf(o: EncoderOptions): GroverOptions {
  return (
    o.grover ?? { ...GROVER_PRESETS.base, hidden: o.dim, depth: o.layers, heads: o.heads, dropout: o.dropout }
  );
}

/** How a pretrained-encoder file describes a GROVER encoder with these options. */
export function groverDescription(options: GroverOptions): EncoderDescription {
  return {
    arch: 'grover',
    options: {
      ...DEFAULT_ENCODER_OPTIONS,
      dim: options.hidden,
      layers: options.depth,
      heads: options.heads,
      dropout: options.dropout,
      grover: options,
    },
    featurizer: 'grover',
    input: inputSpecFor('grover', GROVER_ATOM_DIM, GROVER_BOND_DIM),
  };
}

export class GroverViews extends Module implements Encoder {
  readonly outDim: number;
  readonly viewNames = GROVER_VIEWS;
  readonly viewDim: number;
  readonly gtrans: GroverEncoder;

  constructor(input: InputSpec, options: GroverOptions, rng: T.Rng) {
    super();
    if (input.kind !== 'features')
      throw new ConfigError("GROVER reads float features: use --features grover (not Hu et al.'s codes)");
    // Inlined: the parameters keep GROVER's own names under the model's 'encoder.' prefix.
    this.gtrans = this.inline(new GroverEncoder(options, rng));
    this.viewDim = options.hidden;
    this.outDim = 2 * options.hidden;
  }

  forwardViews(g: GraphView): T.Tensor[] {
    const out = this.gtrans.forward(groverGraph(g.batch));
    return [out.atomFromAtom, out.atomFromBond];
  }

  forward(g: GraphView): T.Tensor {
    return T.concat(this.forwardViews(g), 1);
  }
}

export const groverFactory: EncoderFactory = {
  name: 'grover',
  aliases: ['gtrans'],
  description:
    "GROVER's GTransformer, node and edge views with dyMPN attention (Rong et al. 2020, grover/model/layers.py)",
  // The base preset (hidden 800, depth 6, 4 heads) and the released fine-tuning dropout 0; from a
  // pretrained file, its own options apply.
  defaults: {
    dim: GROVER_PRESETS.base.hidden,
    layers: GROVER_PRESETS.base.depth,
    heads: GROVER_PRESETS.base.heads,
    dropout: 0,
  },
  create: (input, o, rng) => new GroverViews(input, groverOptionsOf(o), rng),
};
