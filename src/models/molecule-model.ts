// A molecule-property model assembled from a ModelSpec: encoder (node embeddings) → readout
// (one row per molecule) → optional molecule-level features appended (chemprop/GROVER's
// features_generator hook) → FFN head. With no encoder it is a fingerprint-only MLP (ECFP → MLP).
// Classification outputs are logits (sigmoid at prediction); regression outputs are in standardized
// units and un-scaled with the spec's scaler at prediction.
//
// An encoder with several views (GROVER: atom embeddings from its node view and from its edge view)
// gets one shared readout and one head per view, as GROVER's fine-tuning task: training scores each
// view's output (plus a disagreement term, see fit.ts), prediction averages the views' predictions
// (probabilities for classification).

import type { GraphBatch } from '../data/batch.js';
import { ConfigError } from '../errors.js';
import * as T from '../tensor/index.js';
import { createEncoder, type Encoder } from './encoders/registry.js';
import { GraphView } from './graph.js';
import { FFNHead } from './head.js';
import { Module } from './module.js';
import { createReadout, type Readout } from './readout.js';
import { checkModelSpec, type ModelSpec } from './spec.js';

/** One batch of molecules as a model reads it. */
export interface ModelInput {
  /** The molecules' graphs (null for a fingerprint-only model). */
  readonly graphs: GraphBatch | null;
  /** size × molFeatures.dim, row-major (null when the model uses none). */
  readonly molFeatures: Float32Array | null;
  /** Number of molecules. */
  readonly size: number;
}

export class MoleculeModel extends Module {
  readonly encoder: Encoder | null;
  readonly readout: Readout | null;
  /** One head per encoder view (one for single-view encoders and fingerprint models). */
  readonly heads: readonly FFNHead[];
  /** Width of the molecule embedding the head reads (readout ⊕ molecule features). */
  readonly embedDim: number;

  constructor(
    readonly spec: ModelSpec,
    seed: number,
  ) {
    super();
    checkModelSpec(spec);
    const rng = new T.Rng(seed);
    let dim = 0;
    if (spec.encoder) {
      this.encoder = this.child(
        'encoder',
        createEncoder(spec.encoder.arch, spec.input!, spec.encoder.options, rng),
      );
      const viewDim = this.encoder.viewNames ? this.encoder.viewDim! : this.encoder.outDim;
      this.readout = this.child('readout', createReadout(spec.readout.kind, viewDim, rng, spec.readout));
      dim = this.readout.outDim;
    } else {
      this.encoder = null;
      this.readout = null;
    }
    dim += spec.molFeatures?.dim ?? 0;
    this.embedDim = dim;
    const views = this.encoder?.viewNames;
    const tasks = spec.taskNames.length;
    this.heads = views
      ? views.map((v) => this.child(`head_${v}`, new FFNHead(dim, tasks, spec.head, rng)))
      : [this.child('head', new FFNHead(dim, tasks, spec.head, rng))];
  }

  /** Molecule embeddings [size, embedDim] of each view: the readout with the molecule features appended. */
  embedViews(input: ModelInput): T.Tensor[] {
    let views: T.Tensor[] = [];
    if (this.encoder && this.readout) {
      if (!input.graphs) throw new ConfigError('this model needs molecular graphs as input');
      const g = new GraphView(input.graphs);
      const nodes = this.encoder.forwardViews ? this.encoder.forwardViews(g) : [this.encoder.forward(g)];
      views = nodes.map((h) => this.readout!.forward(h, g));
    }
    const mf = this.spec.molFeatures;
    if (!mf) return views;
    if (!input.molFeatures || input.molFeatures.length !== input.size * mf.dim) {
      throw new ConfigError(
        `this model needs ${mf.dim} molecule features ('${mf.generator}') per molecule, ` +
          `got ${input.molFeatures ? input.molFeatures.length / Math.max(input.size, 1) : 'none'}`,
      );
    }
    const features = T.tensor(input.molFeatures, [input.size, mf.dim]);
    return views.length === 0 ? [features] : views.map((v) => T.concat([v, features], 1));
  }

  /** Molecule embeddings [size, embedDim × views]: every view's, side by side. */
  embed(input: ModelInput): T.Tensor {
    const views = this.embedViews(input);
    return views.length === 1 ? views[0]! : T.concat(views, 1);
  }

  /** Raw outputs of each view's head [size, tasks]: logits or standardized values. */
  forwardViews(input: ModelInput): T.Tensor[] {
    return this.embedViews(input).map((e, v) => this.heads[v]!.forward(e));
  }

  /**
   * Raw outputs [size, tasks]: logits (classification) or standardized values (regression). With
   * several views, the output whose prediction is the mean of the views' predictions: the logit of
   * the mean probability, or the mean value.
   */
  forward(input: ModelInput): T.Tensor {
    const outs = this.forwardViews(input);
    if (outs.length === 1) return outs[0]!;
    const k = 1 / outs.length;
    if (this.spec.taskType !== 'classification') return T.mulScalar(T.addN(outs), k);
    const p = T.mulScalar(T.addN(outs.map((o) => T.sigmoid(o))), k);
    // logit(p), with p kept off 0 and 1 so the loss stays finite.
    const q = T.affine(p, 1 - 2e-7, 1e-7);
    return T.sub(T.log(q), T.log(T.affine(q, -1, 1)));
  }

  /** Predictions in the task's units: probabilities, or un-scaled regression values. */
  predict(input: ModelInput): Float32Array {
    return T.noGrad(() => T.tidy(() => this.toPrediction(this.forward(input).data.slice())));
  }

  /** Turns raw outputs (row-major size × tasks) into predictions, in place. */
  toPrediction(raw: Float32Array): Float32Array {
    const tasks = this.spec.taskNames.length;
    if (this.spec.taskType === 'classification') {
      for (let i = 0; i < raw.length; i++) raw[i] = 1 / (1 + Math.exp(-raw[i]!));
    } else if (this.spec.scaler) {
      const { mean, std } = this.spec.scaler;
      for (let i = 0; i < raw.length; i++) raw[i] = raw[i]! * std[i % tasks]! + mean[i % tasks]!;
    }
    return raw;
  }
}
