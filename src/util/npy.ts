// NumPy .npy files (format version 1.0), float32 C-order matrices only: enough to hand embeddings
// to Python (`numpy.load`) without a CSV round trip.

import { MolgroveError } from '../errors.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Encodes a row-major rows × cols float32 matrix as a .npy v1.0 file. */
export function encodeNpyFloat32(data: Float32Array, rows: number, cols: number): Uint8Array {
  if (
    !Number.isInteger(rows) ||
    !Number.isInteger(cols) ||
    rows < 0 ||
    cols < 0 ||
    data.length !== rows * cols
  )
    throw new MolgroveError('SHAPE', `npy: ${data.length} values do not form a ${rows} × ${cols} matrix`);
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64
  // and ending in a newline, so that the data that follows is aligned.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = `${header.padEnd(total - 10 - 1, ' ')}\n`;
  if (header.length > 0xffff) throw new MolgroveError('SHAPE', 'npy: header too long for format 1.0');
  const out = new Uint8Array(total + data.length * 4);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  for (let i = 0; i < data.length; i++) view.setFloat32(total + i * 4, data[i]!, true);
  return out;
}
