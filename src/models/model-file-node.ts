// Model files on disk (Node): atomic writes, reads with the path in every error.

import { readFile } from 'node:fs/promises';
import { MolgroveError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import {
  type DecodedEncoder,
  decodeEncoder,
  type EncoderDescription,
  encodeEncoder,
} from './encoder-file.js';
import { type DecodedModel, decodeModel, encodeModel, type ModelInfo } from './model-file.js';
import type { Module } from './module.js';
import type { MoleculeModel } from './molecule-model.js';

export async function saveModelFile(path: string, model: MoleculeModel, info: ModelInfo = {}): Promise<void> {
  await writeFileAtomic(path, encodeModel(model, info));
}

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    const bytes = await readFile(path);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (e) {
    throw new MolgroveError('IO', `cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

export async function loadModelFile(path: string): Promise<DecodedModel> {
  return decodeModel(await readBytes(path, 'model file'), path);
}

export async function saveEncoderFile(
  path: string,
  encoder: Module,
  description: EncoderDescription,
  info: ModelInfo = {},
): Promise<void> {
  await writeFileAtomic(path, encodeEncoder(encoder, description, info));
}

/** A pretrained encoder, or the encoder of a fine-tuned model file. */
export async function loadEncoderFile(path: string): Promise<DecodedEncoder> {
  return decodeEncoder(await readBytes(path, 'encoder file'), path);
}
