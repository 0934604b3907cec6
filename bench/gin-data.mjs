// Batches of real Tox21 molecules for the GIN training-step benchmark (molgrove vs PyTorch), built with
// molgrove's own data layer: the registry's tox21, the `hu` featurizer (integer atom/bond codes), a
// seeded shuffle and batchGraphs. Needs a built dist (npm run build) and the dataset mirror
// (MOLGROVE_DATA_DIR, default ../../shared/data next to the checkout).
//
// A batch: { numGraphs, numAtoms, numEdges, atomType, chirality, edgeSrc, edgeDst, bondType, bondDir,
// graphIndex, y } — Int32Arrays except y (Float32Array numGraphs×12, row-major, NaN = missing label).
// Edges are directed (both directions of each bond), without self loops: the model adds them.
//
// writeBatchesFile(batches, path) stores them for bench/gin_torch.py as one little-endian file:
// 8-byte magic "MGGINB01", uint32 header length H, H bytes of UTF-8 JSON header, zero padding to a
// multiple of 8, then the arrays. Header: { format: 'molgrove-gin-batches', version: 1, numTasks,
// batches: [{ numGraphs, numAtoms, numEdges, arrays: { name: { dtype: 'i32' | 'f32', byteOffset,
// length } } }] }, byteOffset counted from the start of the data section. NaN labels stay NaN.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { batchGraphs, featurizeDataset, loadDataset } from '../dist/src/data/index.js';

/** The dataset mirror: $MOLGROVE_DATA_DIR (made absolute), else ../shared/data beside the checkout. */
export function ginDataDir() {
  const dir = process.env.MOLGROVE_DATA_DIR;
  return dir ? resolve(dir) : fileURLToPath(new URL('../../shared/data', import.meta.url));
}

export const GIN_NUM_TASKS = 12;
const MAGIC = 'MGGINB01';
const ARRAYS = ['atomType', 'chirality', 'edgeSrc', 'edgeDst', 'bondType', 'bondDir', 'graphIndex', 'y'];

let cached;

/** Tox21, featurized with the `hu` preset (invalid SMILES skipped), loaded once per process. */
export async function loadTox21Hu() {
  if (!cached) {
    cached = (async () => {
      const ds = await loadDataset('tox21', { dataDir: ginDataDir() });
      const { data } = await featurizeDataset(ds, 'hu', { skipInvalid: true });
      return { ds, data };
    })();
  }
  return cached;
}

/** mulberry32: a small, fast, seeded PRNG (same stream on every platform). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 0..n-1 in a Fisher–Yates order drawn from `seed`. */
function shuffledOrder(n, seed) {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const next = rng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/** One benchmark batch from molecules `idx` (indices into the featurized dataset). */
function makeBatch(ds, data, idx) {
  const T = ds.taskNames.length;
  const g = batchGraphs(Array.from(idx, (i) => data.graph(i)));
  const n = g.numAtoms;
  const m = g.numEdges;
  const atomType = new Int32Array(n);
  const chirality = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    atomType[i] = g.atomCodes[2 * i];
    chirality[i] = g.atomCodes[2 * i + 1];
  }
  const bondType = new Int32Array(m);
  const bondDir = new Int32Array(m);
  for (let e = 0; e < m; e++) {
    bondType[e] = g.bondCodes[2 * e];
    bondDir[e] = g.bondCodes[2 * e + 1];
  }
  const y = new Float32Array(idx.length * T);
  idx.forEach((i, k) => {
    const row = data.packed.rows[i];
    y.set(ds.targets.subarray(row * T, (row + 1) * T), k * T);
  });
  return {
    numGraphs: g.numGraphs,
    numAtoms: n,
    numEdges: m,
    atomType,
    chirality,
    edgeSrc: g.edgeIndex.slice(0, m),
    edgeDst: g.edgeIndex.slice(m, 2 * m),
    bondType,
    bondDir,
    graphIndex: g.graphIndex,
    y,
  };
}

/**
 * `numBatches` batches of `batchSize` Tox21 molecules, taken in a shuffled order fixed by `seed`
 * (reshuffled with seed+1, seed+2… if more molecules are needed than the dataset holds).
 */
export async function loadGinBatches({ batchSize = 32, numBatches = 20, seed = 0 } = {}) {
  const { ds, data } = await loadTox21Hu();
  if (ds.taskNames.length !== GIN_NUM_TASKS) {
    throw new Error(`tox21 has ${ds.taskNames.length} tasks, expected ${GIN_NUM_TASKS}`);
  }
  if (batchSize > data.size) throw new Error(`batch size ${batchSize} > ${data.size} molecules`);
  const batches = [];
  let order = shuffledOrder(data.size, seed);
  let pos = 0;
  let epoch = 0;
  while (batches.length < numBatches) {
    if (pos + batchSize > order.length) {
      epoch += 1;
      order = shuffledOrder(data.size, seed + epoch);
      pos = 0;
    }
    batches.push(makeBatch(ds, data, order.subarray(pos, pos + batchSize)));
    pos += batchSize;
  }
  return batches;
}

/** Writes batches in the layout described at the top of this file (read by bench/gin_torch.py). */
export function writeBatchesFile(batches, path) {
  let byteOffset = 0;
  const entries = batches.map((b) => {
    const arrays = {};
    for (const name of ARRAYS) {
      const arr = b[name];
      arrays[name] = {
        dtype: arr instanceof Float32Array ? 'f32' : 'i32',
        byteOffset,
        length: arr.length,
      };
      byteOffset += arr.byteLength;
    }
    return {
      numGraphs: b.numGraphs,
      numAtoms: b.numAtoms,
      numEdges: b.numEdges ?? b.edgeSrc.length,
      arrays,
    };
  });
  const header = { format: 'molgrove-gin-batches', version: 1, numTasks: GIN_NUM_TASKS, batches: entries };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = Math.ceil((12 + json.length) / 8) * 8;
  const out = new Uint8Array(dataStart + byteOffset);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  batches.forEach((b, k) => {
    for (const name of ARRAYS) {
      const arr = b[name];
      out.set(
        new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength),
        dataStart + entries[k].arrays[name].byteOffset,
      );
    }
  });
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, out);
  return path;
}

/** Largest atom type / chirality / bond type / bond direction code present (to size embedding tables). */
export function maxCodes(batches) {
  const max = (key) => batches.reduce((m, b) => b[key].reduce((x, v) => (v > x ? v : x), m), -1);
  return {
    atomType: max('atomType'),
    chirality: max('chirality'),
    bondType: max('bondType'),
    bondDir: max('bondDir'),
  };
}
