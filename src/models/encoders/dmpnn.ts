// chemprop v1's directed message-passing encoder (chemprop/models/mpn.py, MPNEncoder, with
// atom_messages off; BatchMolGraph of chemprop/features/featurization.py). Messages live on
// directed bonds b = u→v:
//   input   = W_i(f_bonds),  f_bonds[b] = [f_atoms[u], f_bond[b]]
//   message = act(input)
//   depth − 1 times:  a_message[v] = Σ_{b into v} message[b]
//                     message[u→v] = a_message[u] − message[v→u]
//                     message = dropout(act(input + W_h(message)))
//   atom_hiddens = dropout(act(W_o([f_atoms, Σ_{b into v} message[b]])))
// W_i and W_h have biases only with `bias` (chemprop's --bias, off by default); W_o always has one.
// Node embeddings come out; the shared readout (mean = chemprop's default aggregation) does the rest.
//
// Inputs: float features (the `chemprop` preset, or any) enter as raw rows, as in chemprop. With Hu
// et al.'s integer codes there are no feature rows, so atoms are embedded by the shared AtomEncoder
// (x_embedding1/2) and bonds by their own tables (edge_embedding1/2, bond type + direction), both of
// width `dim`, and those embeddings play f_atoms and f_bond (so W_i is dim×2·dim, W_o dim×2·dim).
// Bonds are looked up directly rather than through EdgeEncoder, which also embeds self loops that
// D-MPNN has no use for.

import { ConfigError } from '../../errors.js';
import * as T from '../../tensor/index.js';
import type { GraphView } from '../graph.js';
import { NUM_BOND_DIRECTIONS, NUM_BOND_TYPES } from '../graph.js';
import { AtomEncoder, type InputSpec } from '../inputs.js';
import { Dropout, Embedding, Linear } from '../layers.js';
import { Module } from '../module.js';
import type { Encoder, EncoderFactory, EncoderOptions } from './options.js';

type Act = Exclude<T.Activation, 'none'>;

const ACT: Record<Act, (x: T.Tensor) => T.Tensor> = {
  relu: T.relu,
  tanh: T.tanh,
  sigmoid: T.sigmoid,
  gelu: T.gelu,
};

export interface DmpnnOptions {
  /** hidden_size (chemprop 300). */
  readonly dim: number;
  /** depth: message-passing steps, counting the input step (chemprop 3). */
  readonly layers: number;
  readonly dropout: number;
  readonly act: Act;
  /** Biases on W_i and W_h (chemprop --bias; default off). */
  readonly bias?: boolean;
}

export class DMPNNEncoder extends Module implements Encoder {
  readonly outDim: number;
  readonly W_i: Linear;
  readonly W_h: Linear;
  readonly W_o: Linear;
  private readonly atoms: AtomEncoder | null = null;
  private readonly bondType: Embedding | null = null;
  private readonly bondDir: Embedding | null = null;
  private readonly drop: Dropout;
  private readonly atomDim: number;

  constructor(
    readonly input: InputSpec,
    readonly options: DmpnnOptions,
    rng: T.Rng,
  ) {
    super();
    const { dim, layers, dropout } = options;
    if (!(Number.isInteger(dim) && dim >= 1)) throw new ConfigError(`D-MPNN width must be ≥ 1, got ${dim}`);
    if (!(Number.isInteger(layers) && layers >= 1))
      throw new ConfigError(`D-MPNN depth (layers) must be ≥ 1, got ${layers}`);
    if (!(options.act in ACT)) throw new ConfigError(`D-MPNN activation '${options.act}' is not supported`);
    this.outDim = dim;
    let bondDim: number;
    if (input.kind === 'codes') {
      this.atoms = this.inline(new AtomEncoder(input, dim, rng));
      this.bondType = this.child('edge_embedding1', new Embedding(NUM_BOND_TYPES, dim, rng));
      this.bondDir = this.child('edge_embedding2', new Embedding(NUM_BOND_DIRECTIONS, dim, rng));
      this.atomDim = dim;
      bondDim = dim;
    } else {
      this.atomDim = input.atomDim;
      bondDim = input.bondDim;
    }
    const bias = options.bias ?? false;
    this.W_i = this.child('W_i', new Linear(this.atomDim + bondDim, dim, rng, { bias }));
    this.W_h = this.child('W_h', new Linear(dim, dim, rng, { bias }));
    this.W_o = this.child('W_o', new Linear(this.atomDim + dim, dim, rng));
    this.drop = this.child('dropout_layer', new Dropout(dropout, rng.fork()));
  }

  /** f_atoms [numNodes, atomDim] and the per-bond rows f_bond [numEdges, bondDim]. */
  private inputs(g: GraphView): [T.Tensor, T.Tensor] {
    if (this.atoms) {
      const e = g.edges;
      return [
        this.atoms.forward(g),
        T.add(this.bondType!.forward(e.bondType), this.bondDir!.forward(e.bondDir)),
      ];
    }
    const spec = this.input as Extract<InputSpec, { kind: 'features' }>;
    const { atomDim, bondDim, atomFeatures, bondFeatures, numEdges } = g.batch;
    if (atomDim !== spec.atomDim || bondDim !== spec.bondDim) {
      throw new ConfigError(
        `the D-MPNN expects ${spec.atomDim}-d atom and ${spec.bondDim}-d bond features, but the batch has ` +
          `${atomDim}/${bondDim} (featurized with another preset?)`,
      );
    }
    return [T.tensor(atomFeatures, [g.numNodes, atomDim]), T.tensor(bondFeatures, [numEdges, bondDim])];
  }

  /** Atom hidden states [numNodes, dim]. */
  forward(g: GraphView): T.Tensor {
    const { src, dst } = g.edges;
    const rev = g.batch.revEdge;
    const n = g.numNodes;
    const act = ACT[this.options.act];
    const [fAtoms, fBond] = this.inputs(g);
    const input = this.W_i.forward(T.concat([T.gatherRows(fAtoms, src), fBond], 1));
    let message = act(input);
    for (let depth = 0; depth < this.options.layers - 1; depth++) {
      // Σ over the bonds entering u, minus the reverse bond: what u→v carries excludes v's own message.
      const aMessage = T.scatterAdd(message, dst, n);
      message = T.sub(T.gatherRows(aMessage, src), T.gatherRows(message, rev));
      message = this.drop.forward(act(T.add(input, this.W_h.forward(message))));
    }
    // Atoms without bonds get a zero sum (chemprop's padding bond 0).
    const aMessage = T.scatterAdd(message, dst, n);
    return this.drop.forward(this.W_o.forward(T.concat([fAtoms, aMessage], 1), this.options.act));
  }
}

export const dmpnnFactory: EncoderFactory = {
  name: 'dmpnn',
  aliases: ['chemprop'],
  description: 'directed message passing on bonds (chemprop v1, chemprop/models/mpn.py MPNEncoder)',
  // chemprop v1: hidden_size 300, depth 3, dropout 0, ReLU, no bias on W_i/W_h; no norm or JK.
  defaults: { dim: 300, layers: 3, dropout: 0, act: 'relu', norm: 'none', jk: 'last' },
  create: (input: InputSpec, o: EncoderOptions, rng: T.Rng) =>
    new DMPNNEncoder(
      input,
      {
        dim: o.dim,
        layers: o.layers,
        dropout: o.dropout,
        act: o.act,
        // EncoderOptions may grow a `bias` field; until then chemprop's default (off).
        bias: (o as EncoderOptions & { readonly bias?: boolean }).bias ?? false,
      },
      rng,
    ),
};
