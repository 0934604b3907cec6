// Self-describing model files (.mgv): the safetensors layout with the weights (and batch-norm
// statistics) by dotted parameter path, and in its metadata the format tag, molgrove's version and
// the ModelSpec (encoder alias and options, featurizer preset, readout, molecule features, head,
// task names and types, target scaler). `decodeModel` rebuilds the model from the bytes alone, in
// Node or in a browser.

import { ConfigError, MolgroveError } from '../errors.js';
import { decodeTensors, encodeTensors, type MetadataValue, SerializeError } from '../tensor/index.js';
import { VERSION } from '../version.js';
import type { StateDict } from './module.js';
import { MoleculeModel } from './molecule-model.js';
import type { ModelSpec } from './spec.js';

export const MODEL_FORMAT = 'molgrove-model';

/** What a model file holds besides the weights: provenance of the training run, free-form. */
export type ModelInfo = Record<string, MetadataValue>;

export function encodeModel(model: MoleculeModel, info: ModelInfo = {}): Uint8Array {
  return encodeTensors(model.stateDict(), {
    format: MODEL_FORMAT,
    molgroveVersion: VERSION,
    spec: model.spec as unknown as MetadataValue,
    info,
  });
}

export interface DecodedModel {
  readonly model: MoleculeModel;
  readonly info: ModelInfo;
  /** molgrove version that wrote the file. */
  readonly version: string;
}

/** The tensors and metadata of a .mgv file; a malformed file is a CHECKPOINT error naming `source`. */
export function decodeMgv(bytes: Uint8Array, source: string): ReturnType<typeof decodeTensors> {
  try {
    return decodeTensors(bytes);
  } catch (e) {
    if (e instanceof SerializeError) throw new MolgroveError('CHECKPOINT', `${source}: ${e.message}`);
    throw e;
  }
}

/** Rebuilds a model (in eval mode) from model-file bytes; `source` names the file in errors. */
export function decodeModel(bytes: Uint8Array, source = 'model file'): DecodedModel {
  const decoded = decodeMgv(bytes, source);
  const meta = decoded.metadata;
  if (meta['format'] !== MODEL_FORMAT) {
    throw new MolgroveError(
      'CHECKPOINT',
      `${source}: not a molgrove model file (format ${JSON.stringify(meta['format'] ?? null)})`,
    );
  }
  const spec = meta['spec'] as unknown as ModelSpec;
  let model: MoleculeModel;
  try {
    // The seed only initializes weights that the state dict then overwrites.
    model = new MoleculeModel(spec, 0);
    const sd: StateDict = {};
    for (const [name, t] of Object.entries(decoded.tensors)) {
      if (t.dtype !== 'F32') throw new ConfigError(`tensor ${name} has dtype ${t.dtype}, expected F32`);
      sd[name] = { shape: t.shape, data: t.data };
    }
    model.loadStateDict(sd);
  } catch (e) {
    if (e instanceof MolgroveError) throw new MolgroveError('CHECKPOINT', `${source}: ${e.message}`);
    throw e;
  }
  const info = (meta['info'] ?? {}) as ModelInfo;
  return { model: model.eval(), info, version: String(meta['molgroveVersion'] ?? 'unknown') };
}
