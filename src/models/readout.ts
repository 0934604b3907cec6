// Graph readouts: node embeddings [numNodes, inDim] → one row per molecule [numGraphs, outDim].
// Readouts are modules because two of them learn:
//  - 'attention': PyG's GlobalAttention as Hu et al. use it (pretrain-gnns chem/model.py,
//    graph_pooling == "attention"): gate_i = gate_nn(h_i) with gate_nn = Linear(inDim, 1), softmax of
//    the gates within each molecule, output Σ_i gate_i · h_i.
//  - 'self_attentive': GROVER's readout (grover/model/layers.py, Readout with SelfAttention): per
//    molecule A = softmax_atoms(w2 · tanh(w1 · Hᵀ)), output flatten(A · H) of width attnOut · inDim.
// Both run batched over segments (one softmax per molecule and head), never looping over molecules.

import { ConfigError, unknownChoice } from '../errors.js';
import * as T from '../tensor/index.js';
import type { GraphView } from './graph.js';
import { Linear } from './layers.js';
import { Module } from './module.js';

/** Canonical readout names (see READOUT_FACTORIES for aliases). */
export const READOUTS = ['mean', 'sum', 'max', 'attention', 'self_attentive'] as const;
export type ReadoutKind = (typeof READOUTS)[number];
/** The readouts without parameters. */
export type PoolKind = 'mean' | 'sum' | 'max';

export interface ReadoutOptions {
  /** Self-attentive readout: rows of w1 (GROVER's attn_hidden, default 128). */
  readonly attnHidden?: number;
  /** Self-attentive readout: attention heads, rows of w2 (GROVER's attn_out, default 4). */
  readonly attnOut?: number;
}

/** A readout: node embeddings [numNodes, inDim] → graph embeddings [numGraphs, outDim]. */
export abstract class Readout extends Module {
  abstract readonly kind: ReadoutKind;
  abstract readonly outDim: number;
  constructor(readonly inDim: number) {
    super();
    if (!(Number.isInteger(inDim) && inDim >= 1))
      throw new ConfigError(`a readout needs a positive input width, got ${inDim}`);
  }
  abstract forward(h: T.Tensor, g: GraphView): T.Tensor;

  protected check(h: T.Tensor, g: GraphView): void {
    if (h.rank !== 2 || h.shape[0] !== g.numNodes || h.shape[1] !== this.inDim) {
      throw new ConfigError(
        `${this.kind} readout expects node embeddings [${g.numNodes}, ${this.inDim}], got [${h.shape.join(', ')}]`,
      );
    }
  }
}

/** Parameter-free segment pooling of node embeddings per molecule. */
export function readout(kind: PoolKind, h: T.Tensor, g: GraphView): T.Tensor {
  switch (kind) {
    case 'mean':
      return T.segmentMean(h, g.graphIndex, g.numGraphs);
    case 'sum':
      return T.segmentSum(h, g.graphIndex, g.numGraphs);
    case 'max':
      return T.segmentMax(h, g.graphIndex, g.numGraphs);
    default:
      throw unknownChoice('readout', kind, ['mean', 'sum', 'max']);
  }
}

/** mean / sum / max pooling (chemprop's aggregation; Hu et al.'s graph_pooling). */
export class PoolReadout extends Readout {
  readonly outDim: number;
  constructor(
    readonly kind: PoolKind,
    inDim: number,
  ) {
    super(inDim);
    this.outDim = inDim;
  }
  forward(h: T.Tensor, g: GraphView): T.Tensor {
    this.check(h, g);
    return readout(this.kind, h, g);
  }
}

/**
 * [N, k] → [N, k·width]: column c of x repeated `width` times (head-major), as one small matmul with
 * a 0/1 matrix, so that per-row weights multiply embeddings as a same-shape product (the engine's
 * fast path) instead of a general broadcast.
 */
function repeatColumns(x: T.Tensor, width: number): T.Tensor {
  const k = x.shape[1]!;
  const r = new Float32Array(k * k * width);
  for (let c = 0; c < k; c++) r.fill(1, c * k * width + c * width, c * k * width + (c + 1) * width);
  return T.matmul(x, T.tensor(r, [k, k * width]));
}

/** PyG GlobalAttention with gate_nn = Linear(inDim, 1) (Hu et al.'s "attention" pooling). */
export class AttentionReadout extends Readout {
  readonly kind = 'attention' as const;
  readonly outDim: number;
  readonly gate: Linear;
  constructor(inDim: number, rng: T.Rng) {
    super(inDim);
    this.outDim = inDim;
    this.gate = this.child('gate_nn', new Linear(inDim, 1, rng));
  }
  forward(h: T.Tensor, g: GraphView): T.Tensor {
    this.check(h, g);
    const gate = T.segmentSoftmax(this.gate.forward(h), g.graphIndex, g.numGraphs);
    return T.segmentSum(T.mul(repeatColumns(gate, this.inDim), h), g.graphIndex, g.numGraphs);
  }
}

/** torch.nn.init.xavier_normal_: N(0, 2 / (fanIn + fanOut)) for an [out, in] matrix. */
function xavierNormal(name: string, rows: number, cols: number, rng: T.Rng): T.Parameter {
  return T.normalParam(name, [rows, cols], Math.sqrt(2 / (rows + cols)), rng);
}

/** GROVER's SelfAttention: w1 [hidden, in], w2 [out, hidden], both xavier-normal, no biases. */
export class SelfAttention extends Module {
  readonly w1: T.Parameter;
  readonly w2: T.Parameter;
  constructor(hidden: number, inFeature: number, outFeature: number, rng: T.Rng) {
    super();
    this.w1 = this.param('w1', xavierNormal('w1', hidden, inFeature, rng));
    this.w2 = this.param('w2', xavierNormal('w2', outFeature, hidden, rng));
  }
  /** Attention logits per atom and head, [N, out] (= (w2 · tanh(w1 · Hᵀ))ᵀ). */
  scores(h: T.Tensor): T.Tensor {
    return T.linear(T.linear(h, this.w1, null, 'tanh'), this.w2);
  }
}

/**
 * GROVER's self-attentive readout. Row g is flatten(A_g · H_g) with A_g [attnOut, n_g] the softmax
 * over the molecule's atoms: head k occupies columns [k·inDim, (k+1)·inDim), as torch's row-major
 * flatten of [attnOut, inDim]. Batched as the per-row outer product A[i, :] ⊗ H[i, :] summed per
 * molecule.
 */
export class SelfAttentiveReadout extends Readout {
  readonly kind = 'self_attentive' as const;
  readonly outDim: number;
  readonly attn: SelfAttention;
  readonly attnHidden: number;
  readonly attnOut: number;
  constructor(inDim: number, rng: T.Rng, options: ReadoutOptions = {}) {
    super(inDim);
    this.attnHidden = options.attnHidden ?? 128;
    this.attnOut = options.attnOut ?? 4;
    for (const [name, v] of [
      ['attnHidden', this.attnHidden],
      ['attnOut', this.attnOut],
    ] as const) {
      if (!(Number.isInteger(v) && v >= 1))
        throw new ConfigError(`${name} must be a positive integer, got ${v}`);
    }
    this.outDim = this.attnOut * inDim;
    this.attn = this.child('attn', new SelfAttention(this.attnHidden, inDim, this.attnOut, rng));
  }
  forward(h: T.Tensor, g: GraphView): T.Tensor {
    this.check(h, g);
    const a = T.segmentSoftmax(this.attn.scores(h), g.graphIndex, g.numGraphs);
    const tiled = T.concat(
      Array.from({ length: this.attnOut }, () => h),
      1,
    );
    return T.segmentSum(T.mul(repeatColumns(a, this.inDim), tiled), g.graphIndex, g.numGraphs);
  }
}

export interface ReadoutFactory {
  readonly name: ReadoutKind;
  readonly aliases: readonly string[];
  readonly description: string;
  create(inDim: number, rng: T.Rng, options: ReadoutOptions): Readout;
}

export const READOUT_FACTORIES: readonly ReadoutFactory[] = [
  {
    name: 'mean',
    aliases: ['average', 'avg'],
    description: 'mean of the atom embeddings (chemprop aggregation "mean", Hu et al. default)',
    create: (inDim) => new PoolReadout('mean', inDim),
  },
  {
    name: 'sum',
    aliases: ['add'],
    description: 'sum of the atom embeddings',
    create: (inDim) => new PoolReadout('sum', inDim),
  },
  {
    name: 'max',
    aliases: [],
    description: 'per-column maximum over the atoms',
    create: (inDim) => new PoolReadout('max', inDim),
  },
  {
    name: 'attention',
    aliases: ['global_attention', 'gated'],
    description: 'softmax-gated sum (PyG GlobalAttention, Hu et al. graph_pooling "attention")',
    create: (inDim, rng) => new AttentionReadout(inDim, rng),
  },
  {
    name: 'self_attentive',
    aliases: ['self_attention', 'self-attentive', 'self-attention'],
    description: "multi-head self-attentive readout, width attnOut·dim (GROVER's Readout)",
    create: (inDim, rng, o) => new SelfAttentiveReadout(inDim, rng, o),
  },
];

/** Every accepted readout name, aliases included. */
export function readoutNames(): string[] {
  return READOUT_FACTORIES.flatMap((f) => [f.name, ...f.aliases]);
}

/** The readout factory for a name or alias (case-insensitive). */
export function getReadout(name: string): ReadoutFactory {
  const key = name.trim().toLowerCase();
  const found = READOUT_FACTORIES.find((f) => f.name === key || f.aliases.includes(key));
  if (!found) throw unknownChoice('readout', name, readoutNames());
  return found;
}

/** Builds a readout by name or alias for node embeddings of width `inDim`. */
export function createReadout(
  kind: string,
  inDim: number,
  rng: T.Rng,
  options: ReadoutOptions = {},
): Readout {
  return getReadout(kind).create(inDim, rng, options);
}
