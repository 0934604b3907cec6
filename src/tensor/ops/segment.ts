// Graph ops over rows: gather rows by index (x[src] for messages, embedding lookups), scatter-add
// rows into segments (message aggregation, readout), segment mean/max, and softmax within segments
// (attention over a node's neighbours or over a molecule's atoms). Row width = product of the
// trailing dimensions; a rank-1 tensor has rows of width 1.

import { gradOf, needsGrad, record } from '../autograd.js';
import { kernels } from '../backend.js';
import { shapeError } from '../errors.js';
import { jsKernels } from '../kernels/js.js';
import type { Kernels } from '../kernels/types.js';
import { allocF32, allocI32 } from '../memory.js';
import { emptyTensor, fmtShape, type Index, indexData, type Tensor } from '../tensor.js';

function rowWidth(x: Tensor): number {
  return x.rank <= 1 ? 1 : x.cols;
}

function checkSegments(op: string, x: Tensor, idx: Int32Array, numSegments: number): void {
  if (x.rank === 0) throw shapeError(op, 'needs at least a 1-D tensor');
  if (idx.length !== x.shape[0]) {
    throw shapeError(
      op,
      `index has ${idx.length} entries but the input ${fmtShape(x.shape)} has ${x.shape[0]} rows`,
    );
  }
  if (!Number.isInteger(numSegments) || numSegments < 0)
    throw shapeError(op, `bad segment count ${numSegments}`);
}

function withRows(shape: readonly number[], rows: number): number[] {
  const s = shape.slice();
  if (s.length === 0) return [rows];
  s[0] = rows;
  return s;
}

/** out[i] = x[index[i]] (rows). Also known as index_select along axis 0. */
export function gatherRows(x: Tensor, index: Index): Tensor {
  x.assertLive('gatherRows');
  if (x.rank === 0) throw shapeError('gatherRows', 'needs at least a 1-D tensor');
  const idx = indexData(index);
  const cols = rowWidth(x);
  const out = emptyTensor(withRows(x.shape, idx.length));
  const K = kernels();
  K.gatherRows(x.data, cols, idx, out.data, false);
  if (!needsGrad(x)) return out;
  return record(out, 'gatherRows', [x], (g) => {
    K.scatterAddRows(g, cols, idx, gradOf(x));
  });
}

export const indexSelect = gatherRows;

/** out[s] = Σ x[i] over rows i with index[i] = s; `numSegments` rows (empty segments give 0). */
export function scatterAdd(x: Tensor, index: Index, numSegments: number): Tensor {
  x.assertLive('scatterAdd');
  const idx = indexData(index);
  checkSegments('scatterAdd', x, idx, numSegments);
  const cols = rowWidth(x);
  const out = emptyTensor(withRows(x.shape, numSegments));
  out.data.fill(0);
  const K = kernels();
  K.scatterAddRows(x.data, cols, idx, out.data);
  if (!needsGrad(x)) return out;
  return record(out, 'scatterAdd', [x], (g) => {
    K.gatherRows(g, cols, idx, gradOf(x), true);
  });
}

/**
 * out[dst[i]] += x[src[i]] over index pairs, with `numRows` output rows: scatterAdd(gatherRows(x, src),
 * dst) without the per-pair intermediate — sum-aggregated message passing (x = node states, src/dst
 * = edge ends) or a bag of embeddings (x = a table, src = codes, dst = owner rows).
 */
export function gatherScatter(x: Tensor, srcIndex: Index, dstIndex: Index, numRows: number): Tensor {
  x.assertLive('gatherScatter');
  if (x.rank === 0) throw shapeError('gatherScatter', 'needs at least a 1-D tensor');
  const src = indexData(srcIndex);
  const dst = indexData(dstIndex);
  if (src.length !== dst.length) {
    throw shapeError('gatherScatter', `${src.length} source indices but ${dst.length} destination indices`);
  }
  if (!Number.isInteger(numRows) || numRows < 0)
    throw shapeError('gatherScatter', `bad row count ${numRows}`);
  const cols = rowWidth(x);
  const out = emptyTensor(withRows(x.shape, numRows));
  out.data.fill(0);
  const fused = fusedGatherScatter();
  fused(x.data, cols, src, dst, out.data);
  if (!needsGrad(x)) return out;
  return record(out, 'gatherScatter', [x], (g) => {
    fused(g, cols, dst, src, gradOf(x));
  });
}

function fusedGatherScatter(): NonNullable<Kernels['gatherScatterAddRows']> {
  const K = kernels();
  return K.gatherScatterAddRows ? K.gatherScatterAddRows.bind(K) : jsKernels.gatherScatterAddRows!;
}

/** Segment sum (= scatterAdd; segments need not be sorted or contiguous). */
export const segmentSum = scatterAdd;

/** Number of rows per segment. */
export function segmentCounts(index: Index, numSegments: number): Int32Array {
  const idx = indexData(index);
  const counts = allocI32(numSegments);
  counts.fill(0);
  for (let i = 0; i < idx.length; i++) {
    const s = idx[i]!;
    if (s < 0 || s >= numSegments)
      throw shapeError('segmentCounts', `index[${i}] = ${s} is outside [0, ${numSegments})`);
    counts[s]!++;
  }
  return counts;
}

/** Segment mean; empty segments give 0 (as PyG's scatter mean). */
export function segmentMean(x: Tensor, index: Index, numSegments: number): Tensor {
  x.assertLive('segmentMean');
  const idx = indexData(index);
  checkSegments('segmentMean', x, idx, numSegments);
  const cols = rowWidth(x);
  const counts = segmentCounts(idx, numSegments);
  const out = emptyTensor(withRows(x.shape, numSegments));
  const od = out.data;
  od.fill(0);
  const K = kernels();
  K.scatterAddRows(x.data, cols, idx, od);
  for (let s = 0; s < numSegments; s++) {
    const c = counts[s]!;
    if (c > 1) {
      const inv = 1 / c;
      for (let j = s * cols; j < (s + 1) * cols; j++) od[j]! *= inv;
    }
  }
  if (!needsGrad(x)) return out;
  return record(out, 'segmentMean', [x], (g) => {
    const scaled = allocF32(g.length);
    for (let s = 0; s < numSegments; s++) {
      const inv = 1 / Math.max(1, counts[s]!);
      for (let j = s * cols; j < (s + 1) * cols; j++) scaled[j] = g[j]! * inv;
    }
    K.gatherRows(scaled, cols, idx, gradOf(x), true);
  });
}

/** Segment max per column; the gradient goes to the first maximal row; empty segments give 0. */
export function segmentMax(x: Tensor, index: Index, numSegments: number): Tensor {
  x.assertLive('segmentMax');
  const idx = indexData(index);
  checkSegments('segmentMax', x, idx, numSegments);
  const cols = rowWidth(x);
  const out = emptyTensor(withRows(x.shape, numSegments));
  const arg = allocI32(numSegments * cols);
  const K = kernels();
  K.segmentMaxRows(x.data, cols, idx, numSegments, out.data, arg);
  if (!needsGrad(x)) return out;
  return record(out, 'segmentMax', [x], (g) => {
    const gx = gradOf(x);
    for (let s = 0; s < numSegments; s++) {
      for (let c = 0; c < cols; c++) {
        const r = arg[s * cols + c]!;
        if (r >= 0) gx[r * cols + c]! += g[s * cols + c]!;
      }
    }
  });
}

/**
 * Softmax of x within each segment, separately per column (heads): x is [E] or [E, H], index[e] is
 * the segment of row e (e.g. the destination atom of edge e, or the molecule of atom e).
 */
export function segmentSoftmax(x: Tensor, index: Index, numSegments: number): Tensor {
  x.assertLive('segmentSoftmax');
  const idx = indexData(index);
  checkSegments('segmentSoftmax', x, idx, numSegments);
  const cols = rowWidth(x);
  const xd = x.data;
  const out = emptyTensor(x.shape);
  const y = out.data;
  const mx = allocF32(numSegments * cols);
  mx.fill(Number.NEGATIVE_INFINITY);
  const den = allocF32(numSegments * cols);
  den.fill(0);
  const rows = idx.length;
  for (let i = 0; i < rows; i++) {
    const s = idx[i]! * cols;
    for (let c = 0; c < cols; c++) if (xd[i * cols + c]! > mx[s + c]!) mx[s + c] = xd[i * cols + c]!;
  }
  for (let i = 0; i < rows; i++) {
    const s = idx[i]! * cols;
    for (let c = 0; c < cols; c++) {
      const e = Math.exp(xd[i * cols + c]! - mx[s + c]!);
      y[i * cols + c] = e;
      den[s + c]! += e;
    }
  }
  for (let i = 0; i < rows; i++) {
    const s = idx[i]! * cols;
    for (let c = 0; c < cols; c++) y[i * cols + c]! /= den[s + c]!;
  }
  if (!needsGrad(x)) return out;
  return record(out, 'segmentSoftmax', [x], (g) => {
    // dx = y ⊙ (g − Σ_segment g ⊙ y)
    const dot = den;
    dot.fill(0);
    for (let i = 0; i < rows; i++) {
      const s = idx[i]! * cols;
      for (let c = 0; c < cols; c++) dot[s + c]! += g[i * cols + c]! * y[i * cols + c]!;
    }
    const gx = gradOf(x);
    for (let i = 0; i < rows; i++) {
      const s = idx[i]! * cols;
      for (let c = 0; c < cols; c++) {
        const k = i * cols + c;
        gx[k]! += y[k]! * (g[k]! - dot[s + c]!);
      }
    }
  });
}
