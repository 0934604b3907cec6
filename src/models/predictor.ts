// A graph-level property predictor: GNN trunk → readout → linear head (Hu et al.'s GNN_graphpred),
// and the GIN of Hu et al. as a preset.

import type { GraphBatch } from '../data/batch.js';
import { ConfigError } from '../errors.js';
import * as T from '../tensor/index.js';
import { GINConv } from './encoders/gin.js';
import { GraphView } from './graph.js';
import { AtomEncoder } from './inputs.js';
import { Linear } from './layers.js';
import { Module } from './module.js';
import { createReadout, type Readout, type ReadoutKind, type ReadoutOptions } from './readout.js';
import { GnnTrunk, type TrunkOptions } from './trunk.js';

export class GraphPredictor extends Module {
  readonly gnn: GnnTrunk;
  /** The readout, registered as `pool` (Hu et al.'s GNN_graphpred; parameters only for attention kinds). */
  readonly pool: Readout;
  readonly head: Linear;
  /** `readout`: a name or alias (see READOUTS), or a readout built for `gnn.outDim`. */
  constructor(
    gnn: GnnTrunk,
    readout: string | Readout,
    numTasks: number,
    rng: T.Rng,
    readoutOptions: ReadoutOptions = {},
  ) {
    super();
    this.gnn = this.child('gnn', gnn);
    const pool =
      typeof readout === 'string' ? createReadout(readout, gnn.outDim, rng, readoutOptions) : readout;
    if (pool.inDim !== gnn.outDim)
      throw new ConfigError(`the readout takes ${pool.inDim}-d node embeddings, the GNN gives ${gnn.outDim}`);
    this.pool = this.child('pool', pool);
    this.head = this.child('graph_pred_linear', new Linear(pool.outDim, numTasks, rng));
  }

  get readoutKind(): ReadoutKind {
    return this.pool.kind;
  }

  /** Graph embeddings [numGraphs, outDim] (the readout of the node embeddings). */
  embed(batch: GraphBatch | GraphView): T.Tensor {
    const g = batch instanceof GraphView ? batch : new GraphView(batch);
    return this.pool.forward(this.gnn.forward(g), g);
  }

  /** Logits (classification) or scaled predictions (regression), [numGraphs, numTasks]. */
  forward(batch: GraphBatch | GraphView): T.Tensor {
    return this.head.forward(this.embed(batch));
  }
}

export interface GinOptions extends Partial<TrunkOptions> {
  numLayers?: number;
  readout?: ReadoutKind;
  numTasks: number;
  seed: number;
  /** Materialize one message per edge (PyG's way) instead of the fused aggregation. */
  perEdgeMessages?: boolean;
}

/** Hu et al.'s GIN: 5 layers of 300, batch norm, ReLU, dropout 0.5, JK last, mean pooling by default. */
export function createGin(options: GinOptions): GraphPredictor {
  const rng = new T.Rng(options.seed);
  const trunk: TrunkOptions = {
    dim: options.dim ?? 300,
    dropout: options.dropout ?? 0.5,
    jk: options.jk ?? 'last',
    norm: options.norm ?? 'batch',
    act: options.act ?? 'relu',
  };
  const input = new AtomEncoder({ kind: 'codes' }, trunk.dim, rng);
  const convs = Array.from(
    { length: options.numLayers ?? 5 },
    () => new GINConv(trunk.dim, { kind: 'codes' }, rng, options.perEdgeMessages ?? false),
  );
  return new GraphPredictor(
    new GnnTrunk(input, convs, trunk, rng),
    options.readout ?? 'mean',
    options.numTasks,
    rng,
  );
}
