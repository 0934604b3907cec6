// Reads the batch file bench/gin-data.mjs writes (layout documented there), without loading
// molgrove's data layer or RDKit, so the timed process holds only what training needs.
import { readFileSync } from 'node:fs';

export function readBatchesFile(path) {
  const file = readFileSync(path);
  const bytes = new Uint8Array(file.byteLength);
  bytes.set(file);
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== 'MGGINB01') throw new Error(`${path}: not a molgrove GIN batch file`);
  const headerLen = new DataView(bytes.buffer).getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLen)));
  const dataStart = Math.ceil((12 + headerLen) / 8) * 8;
  return header.batches.map((e) => {
    const b = { numGraphs: e.numGraphs, numAtoms: e.numAtoms, numEdges: e.numEdges };
    for (const [name, a] of Object.entries(e.arrays)) {
      const Ctor = a.dtype === 'f32' ? Float32Array : Int32Array;
      b[name] = new Ctor(bytes.buffer, dataStart + a.byteOffset, a.length);
    }
    return b;
  });
}
