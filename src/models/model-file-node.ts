// Model files on disk (Node): atomic writes, reads with the path in every error.

import { readFile } from 'node:fs/promises';
import { MolgroveError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { type DecodedModel, decodeModel, encodeModel, type ModelInfo } from './model-file.js';
import type { MoleculeModel } from './molecule-model.js';

export async function saveModelFile(path: string, model: MoleculeModel, info: ModelInfo = {}): Promise<void> {
  await writeFileAtomic(path, encodeModel(model, info));
}

export async function loadModelFile(path: string): Promise<DecodedModel> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new MolgroveError('IO', `cannot read model file ${path}: ${(e as Error).message}`);
  }
  return decodeModel(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}
