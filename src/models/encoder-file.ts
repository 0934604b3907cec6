// Pretrained encoders on disk (.mgv with format 'molgrove-encoder'): the encoder's weights by dotted
// path (relative to the encoder) and, in the metadata, what rebuilds it — encoder alias and options,
// featurizer preset, input spec — plus free-form provenance (objective, corpus, epochs). Fine-tuning
// starts from one with `--from`; a fine-tuned model file ('molgrove-model') works as a source too,
// its `encoder.*` weights being the encoder.

import { ConfigError, MolgroveError } from '../errors.js';
import { encodeTensors, type MetadataValue } from '../tensor/index.js';
import { VERSION } from '../version.js';
import type { EncoderOptions } from './encoders/options.js';
import type { InputSpec } from './inputs.js';
import { decodeMgv, MODEL_FORMAT, type ModelInfo } from './model-file.js';
import type { Module, StateDict } from './module.js';
import type { ModelSpec } from './spec.js';

export const ENCODER_FORMAT = 'molgrove-encoder';

/** Everything that rebuilds an encoder besides its weights. */
export interface EncoderDescription {
  readonly arch: string;
  readonly options: EncoderOptions;
  readonly featurizer: string;
  readonly input: InputSpec;
}

export interface DecodedEncoder {
  readonly description: EncoderDescription;
  /** Weights and buffers by dotted path relative to the encoder. */
  readonly state: StateDict;
  readonly info: ModelInfo;
  readonly version: string;
}

export function encodeEncoder(
  encoder: Module,
  description: EncoderDescription,
  info: ModelInfo = {},
): Uint8Array {
  return encodeTensors(encoder.stateDict(), {
    format: ENCODER_FORMAT,
    molgroveVersion: VERSION,
    encoder: description as unknown as MetadataValue,
    info,
  });
}

/** Reads a pretrained-encoder file, or the encoder part of a model file; `source` names it in errors. */
export function decodeEncoder(bytes: Uint8Array, source = 'encoder file'): DecodedEncoder {
  const decoded = decodeMgv(bytes, source);
  const meta = decoded.metadata;
  let description: EncoderDescription;
  let prefix = '';
  if (meta['format'] === ENCODER_FORMAT) {
    description = meta['encoder'] as unknown as EncoderDescription;
  } else if (meta['format'] === MODEL_FORMAT) {
    const spec = meta['spec'] as unknown as ModelSpec;
    if (!spec.encoder || !spec.featurizer || !spec.input)
      throw new ConfigError(`${source}: a fingerprint-only model has no graph encoder to start from`);
    description = { ...spec.encoder, featurizer: spec.featurizer, input: spec.input };
    prefix = 'encoder.';
  } else {
    throw new MolgroveError(
      'CHECKPOINT',
      `${source}: neither a pretrained encoder nor a model file (format ${JSON.stringify(meta['format'] ?? null)})`,
    );
  }
  if (!description || typeof description.arch !== 'string' || !description.options)
    throw new MolgroveError('CHECKPOINT', `${source}: the encoder description is missing or malformed`);
  const state: StateDict = {};
  for (const [name, t] of Object.entries(decoded.tensors)) {
    if (!name.startsWith(prefix)) continue;
    if (t.dtype !== 'F32')
      throw new MolgroveError('CHECKPOINT', `${source}: tensor ${name} has dtype ${t.dtype}, expected F32`);
    state[name.slice(prefix.length)] = { shape: t.shape, data: t.data };
  }
  const info = (meta['info'] ?? {}) as ModelInfo;
  return { description, state, info, version: String(meta['molgroveVersion'] ?? 'unknown') };
}
