// Input encoders shared by every message-passing architecture. With Hu et al.'s `hu` (basic)
// features, atoms and bonds are integer codes embedded by lookup tables (x_embedding1/2,
// edge_embedding1/2, as in pretrain-gnns); with float features (`grover` = rich, `chemprop`), a
// linear projection does the same job. Convs never look at the featurizer: they ask these encoders.

import { ConfigError } from '../errors.js';
import * as T from '../tensor/index.js';
import {
  type GraphView,
  NUM_ATOM_TYPES,
  NUM_BOND_DIRECTIONS,
  NUM_BOND_TYPES,
  NUM_CHIRALITY_TAGS,
} from './graph.js';
import { Embedding, Linear } from './layers.js';
import { Module } from './module.js';

/** How a batch's atoms and bonds enter a model: integer codes, or float feature rows of given widths. */
export type InputSpec =
  | { readonly kind: 'codes' }
  | { readonly kind: 'features'; readonly atomDim: number; readonly bondDim: number };

/** The input spec of a featurizer preset: `hu` gives codes, every other preset float features. */
export function inputSpecFor(featurizer: string, atomDim: number, bondDim: number): InputSpec {
  const name = featurizer.toLowerCase();
  return name === 'hu' || name === 'basic' ? { kind: 'codes' } : { kind: 'features', atomDim, bondDim };
}

function checkBatch(spec: InputSpec, g: GraphView): void {
  if (spec.kind === 'features' && (g.batch.atomDim !== spec.atomDim || g.batch.bondDim !== spec.bondDim)) {
    throw new ConfigError(
      `the model expects ${spec.atomDim}-d atom and ${spec.bondDim}-d bond features, but the batch has ` +
        `${g.batch.atomDim}/${g.batch.bondDim} (featurized with another preset?)`,
    );
  }
}

/** Atom states of layer 0, [numNodes, dim]. */
export class AtomEncoder extends Module {
  private readonly atomType: Embedding | null = null;
  private readonly chirality: Embedding | null = null;
  private readonly proj: Linear | null = null;
  constructor(
    readonly spec: InputSpec,
    readonly dim: number,
    rng: T.Rng,
  ) {
    super();
    if (spec.kind === 'codes') {
      this.atomType = this.child('x_embedding1', new Embedding(NUM_ATOM_TYPES, dim, rng));
      this.chirality = this.child('x_embedding2', new Embedding(NUM_CHIRALITY_TAGS, dim, rng));
    } else {
      this.proj = this.child('x_linear', new Linear(spec.atomDim, dim, rng));
    }
  }
  forward(g: GraphView): T.Tensor {
    checkBatch(this.spec, g);
    if (this.proj) return this.proj.forward(T.tensor(g.batch.atomFeatures, [g.numNodes, g.batch.atomDim]));
    return T.add(this.atomType!.forward(g.atomType), this.chirality!.forward(g.chirality));
  }
}

/**
 * Bond embeddings of `g.edgesWithSelfLoops` (self loops last), one encoder per conv layer as in
 * Hu et al. Codes: E1[bond type] + E2[bond direction]; features: a linear map of the bond row plus
 * the self-loop flag (see GraphView.bondFeaturesWithSelfLoops).
 */
export class EdgeEncoder extends Module {
  private readonly bondType: Embedding | null = null;
  private readonly bondDir: Embedding | null = null;
  private readonly proj: Linear | null = null;
  constructor(
    readonly spec: InputSpec,
    readonly dim: number,
    rng: T.Rng,
  ) {
    super();
    if (spec.kind === 'codes') {
      this.bondType = this.child('edge_embedding1', new Embedding(NUM_BOND_TYPES, dim, rng));
      this.bondDir = this.child('edge_embedding2', new Embedding(NUM_BOND_DIRECTIONS, dim, rng));
    } else {
      this.proj = this.child('edge_linear', new Linear(spec.bondDim + 1, dim, rng));
    }
  }

  /** One row per edge of `g.edgesWithSelfLoops`: [numEdges + numNodes, dim]. */
  forward(g: GraphView): T.Tensor {
    checkBatch(this.spec, g);
    const e = g.edgesWithSelfLoops;
    if (this.proj) {
      return this.proj.forward(T.tensor(g.bondFeaturesWithSelfLoops, [e.src.length, this.proj.inFeatures]));
    }
    return T.add(this.bondType!.forward(e.bondType), this.bondDir!.forward(e.bondDir));
  }

  /**
   * Σ of the embeddings of the edges entering each node, self loop included: [numNodes, dim].
   * With codes this gathers straight from the tables (no per-edge rows).
   */
  sumAtTargets(g: GraphView): T.Tensor {
    const e = g.edgesWithSelfLoops;
    const n = g.numNodes;
    if (this.proj) return T.scatterAdd(this.forward(g), e.dst, n);
    checkBatch(this.spec, g);
    return T.add(
      T.gatherScatter(this.bondType!.weight, e.bondType, e.dst, n),
      T.gatherScatter(this.bondDir!.weight, e.bondDir, e.dst, n),
    );
  }
}
