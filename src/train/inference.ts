// Running a trained model on new molecules: featurize each SMILES the way the model file says
// (featurizer preset, molecule-feature generator), in batches, and keep going past bad SMILES —
// each gets an error message in its row instead of stopping the whole job.

import { getFeaturizer } from '../chem/featurizers/index.js';
import { loadRDKit } from '../chem/rdkit.js';
import { batchGraphs } from '../data/batch.js';
import { getMolFeatureGenerator } from '../data/mol-features.js';
import { featurizeSmiles, type MolGraph } from '../data/molgraph.js';
import { ConfigError, MolgroveError } from '../errors.js';
import type { ModelInput, MoleculeModel } from '../models/molecule-model.js';
import * as T from '../tensor/index.js';

export interface InferenceOptions {
  readonly batchSize?: number;
  /** Precomputed molecule features (rows aligned with the SMILES), for models trained on a file. */
  readonly molFeatures?: Float32Array;
  /** Names the input in error messages. */
  readonly source?: string;
}

export interface InferenceResult {
  /** Row-major rows × width; NaN rows where `errors[row]` is set. */
  readonly values: Float32Array;
  readonly width: number;
  /** Per row: null, or why the row could not be processed. */
  readonly errors: readonly (string | null)[];
}

type Output = (model: MoleculeModel, input: ModelInput) => T.Tensor;

function run(
  model: MoleculeModel,
  smiles: readonly string[],
  width: number,
  output: Output,
  options: InferenceOptions,
  post?: (raw: Float32Array) => Float32Array,
): InferenceResult {
  const spec = model.spec;
  const featurizer = spec.encoder && spec.featurizer ? getFeaturizer(spec.featurizer) : null;
  const mf = spec.molFeatures;
  let generator: ReturnType<typeof getMolFeatureGenerator> | null = null;
  if (mf) {
    if (mf.generator === 'file') {
      if (!options.molFeatures)
        throw new ConfigError(
          'this model was trained with molecule features from a file: give them (--mol-features-file)',
        );
      if (options.molFeatures.length !== smiles.length * mf.dim)
        throw new ConfigError(`molecule features: expected ${smiles.length} rows of ${mf.dim} values`);
    } else {
      generator = getMolFeatureGenerator(mf.generator);
    }
  }
  const values = new Float32Array(smiles.length * width).fill(Number.NaN);
  const errors: (string | null)[] = smiles.map(() => null);
  const batchSize = options.batchSize ?? 256;
  model.eval();
  for (let start = 0; start < smiles.length; start += batchSize) {
    const rows: number[] = [];
    const graphs: MolGraph[] = [];
    const feats: Float32Array[] = [];
    for (let r = start; r < Math.min(start + batchSize, smiles.length); r++) {
      const where = options.source === undefined ? { row: r } : { row: r, source: options.source };
      try {
        const g = featurizer ? featurizeSmiles(smiles[r]!, featurizer, where) : null;
        const f = mf
          ? generator
            ? generator.compute(smiles[r]!, where)
            : options.molFeatures!.subarray(r * mf.dim, (r + 1) * mf.dim)
          : null;
        if (g) graphs.push(g);
        if (f) feats.push(f);
        rows.push(r);
      } catch (e) {
        if (!(e instanceof MolgroveError)) throw e;
        errors[r] = e.message;
      }
    }
    if (rows.length === 0) continue;
    let molFeatures: Float32Array | null = null;
    if (mf) {
      molFeatures = new Float32Array(rows.length * mf.dim);
      feats.forEach((f, k) => {
        molFeatures!.set(f, k * mf.dim);
      });
    }
    const input: ModelInput = {
      graphs: featurizer ? batchGraphs(graphs) : null,
      molFeatures,
      size: rows.length,
    };
    const out = T.noGrad(() => T.tidy(() => output(model, input).data.slice()));
    const res = post ? post(out) : out;
    rows.forEach((r, k) => {
      values.set(res.subarray(k * width, (k + 1) * width), r * width);
    });
  }
  return { values, width, errors };
}

/** Predictions (probabilities or un-scaled values), one row per SMILES. */
export async function predictSmiles(
  model: MoleculeModel,
  smiles: readonly string[],
  options: InferenceOptions = {},
): Promise<InferenceResult> {
  await loadRDKit();
  return run(
    model,
    smiles,
    model.spec.taskNames.length,
    (m, x) => m.forward(x),
    options,
    (raw) => model.toPrediction(raw),
  );
}

/** Molecule embeddings (what the head reads: readout ⊕ molecule features), one row per SMILES. */
export async function embedSmiles(
  model: MoleculeModel,
  smiles: readonly string[],
  options: InferenceOptions = {},
): Promise<InferenceResult> {
  await loadRDKit();
  return run(model, smiles, model.embedDim, (m, x) => m.embed(x), options);
}
