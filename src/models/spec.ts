// ModelSpec: everything needed to rebuild a model without the code that trained it — encoder alias
// and options, featurizer preset, readout, molecule features, head, tasks and target scaler. Model
// files store it as JSON next to the weights (see model-file.ts).

import { ConfigError } from '../errors.js';
import type { EncoderOptions } from './encoders/registry.js';
import type { HeadOptions } from './head.js';
import type { InputSpec } from './inputs.js';

export type TaskKind = 'classification' | 'regression';

export interface ModelSpec {
  /** Encoder alias and its full options; null for a fingerprint-only model. */
  readonly encoder: { readonly arch: string; readonly options: EncoderOptions } | null;
  /** Featurizer preset the graphs are built with (null without an encoder). */
  readonly featurizer: string | null;
  /** How atoms and bonds enter the encoder (null without an encoder). */
  readonly input: InputSpec | null;
  readonly readout: { readonly kind: string; readonly attnHidden?: number; readonly attnOut?: number };
  /** Molecule-level features appended after the readout: generator alias (or 'file') and width. */
  readonly molFeatures: { readonly generator: string; readonly dim: number } | null;
  readonly head: HeadOptions;
  readonly taskType: TaskKind;
  readonly taskNames: readonly string[];
  /** Per-task mean and std of the training targets (regression), applied at prediction. */
  readonly scaler: { readonly mean: readonly number[]; readonly std: readonly number[] } | null;
}

/** Checks the parts of a spec that a malformed file could get wrong, with a message naming them. */
export function checkModelSpec(spec: ModelSpec): void {
  const fail = (what: string): never => {
    throw new ConfigError(`model spec: ${what}`);
  };
  if (!spec || typeof spec !== 'object') fail('not an object');
  if (!Array.isArray(spec.taskNames) || spec.taskNames.length === 0)
    fail('taskNames must be a non-empty list');
  if (spec.taskType !== 'classification' && spec.taskType !== 'regression')
    fail(`taskType must be classification or regression, got ${String(spec.taskType)}`);
  if (spec.encoder && (!spec.input || !spec.featurizer)) fail('an encoder needs input and featurizer');
  if (!spec.encoder && !spec.molFeatures) fail('a model needs an encoder, molecule features, or both');
  if (spec.scaler) {
    const T = spec.taskNames.length;
    if (spec.scaler.mean.length !== T || spec.scaler.std.length !== T)
      fail(`scaler must have ${T} means and stds`);
  }
}
