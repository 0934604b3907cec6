// A molecule-property model assembled from a ModelSpec: encoder (node embeddings) → readout
// (one row per molecule) → optional molecule-level features appended (chemprop/GROVER's
// features_generator hook) → FFN head. With no encoder it is a fingerprint-only MLP (ECFP → MLP).
// Classification outputs are logits (sigmoid at prediction); regression outputs are in standardized
// units and un-scaled with the spec's scaler at prediction.

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
  readonly head: FFNHead;
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
      this.readout = this.child(
        'readout',
        createReadout(spec.readout.kind, this.encoder.outDim, rng, spec.readout),
      );
      dim = this.readout.outDim;
    } else {
      this.encoder = null;
      this.readout = null;
    }
    dim += spec.molFeatures?.dim ?? 0;
    this.embedDim = dim;
    this.head = this.child('head', new FFNHead(dim, spec.taskNames.length, spec.head, rng));
  }

  /** Molecule embeddings [size, embedDim]: the readout with the molecule features appended. */
  embed(input: ModelInput): T.Tensor {
    const parts: T.Tensor[] = [];
    if (this.encoder && this.readout) {
      if (!input.graphs) throw new ConfigError('this model needs molecular graphs as input');
      const g = new GraphView(input.graphs);
      parts.push(this.readout.forward(this.encoder.forward(g), g));
    }
    const mf = this.spec.molFeatures;
    if (mf) {
      if (!input.molFeatures || input.molFeatures.length !== input.size * mf.dim) {
        throw new ConfigError(
          `this model needs ${mf.dim} molecule features ('${mf.generator}') per molecule, ` +
            `got ${input.molFeatures ? input.molFeatures.length / Math.max(input.size, 1) : 'none'}`,
        );
      }
      parts.push(T.tensor(input.molFeatures, [input.size, mf.dim]));
    }
    return parts.length === 1 ? parts[0]! : T.concat(parts, 1);
  }

  /** Raw outputs [size, tasks]: logits (classification) or standardized values (regression). */
  forward(input: ModelInput): T.Tensor {
    return this.head.forward(this.embed(input));
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
