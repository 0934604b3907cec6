// Node-only file helpers for the tensor format in ./serialize.ts (the only file of the engine that
// imports node: modules; browsers use encodeTensors/decodeTensors directly).

import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  type DecodedTensors,
  type DecodeOptions,
  decodeTensors,
  encodeTensors,
  type MetadataValue,
  SerializeError,
  type TensorEntry,
} from './serialize.js';

/**
 * Writes tensors to `path` atomically: the bytes go to a temporary file in the same directory, which
 * is fsynced and then renamed over `path` (the directory is fsynced too where the platform allows), so
 * readers see either the old file or the complete new one, never a partial write.
 */
export async function saveTensorsFile(
  path: string,
  tensors: Readonly<Record<string, TensorEntry>>,
  metadata?: Readonly<Record<string, MetadataValue>>,
): Promise<void> {
  const bytes = encodeTensors(tensors, metadata);
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let renamed = false;
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    renamed = true;
  } finally {
    if (!renamed) await unlink(tmp).catch(() => undefined);
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  // Makes the rename durable on POSIX; opening a directory fails on Windows, which is fine.
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // best effort
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/** Reads and decodes a tensor file; decode errors are SerializeErrors whose message starts with the path. */
export async function loadTensorsFile(path: string, options: DecodeOptions = {}): Promise<DecodedTensors> {
  const bytes = await readFile(path);
  try {
    return decodeTensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), options);
  } catch (e) {
    if (e instanceof SerializeError) throw new SerializeError(e.code, `${path}: ${e.message}`);
    throw e;
  }
}
