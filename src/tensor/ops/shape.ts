// Shape operations: reshape (a view sharing storage), concat and slice along any axis, 2-D transpose.

import { gradOf, needsGrad, passGrad, record } from '../autograd.js';
import { shapeError } from '../errors.js';
import { emptyTensor, fmtShape, type Shape, sizeOf, Tensor } from '../tensor.js';

/** Same data, new shape (one dimension may be -1). The result shares storage with x. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  x.assertLive('reshape');
  const dims = [...shape];
  const unknown = dims.indexOf(-1);
  if (unknown >= 0) {
    const known = dims.reduce((p, d, i) => (i === unknown ? p : p * d), 1);
    if (known === 0 || x.size % known !== 0)
      throw shapeError('reshape', `cannot reshape ${fmtShape(x.shape)} to ${fmtShape(shape)}`);
    dims[unknown] = x.size / known;
  }
  if (sizeOf(dims) !== x.size)
    throw shapeError(
      'reshape',
      `cannot reshape ${fmtShape(x.shape)} (${x.size} values) to ${fmtShape(shape)}`,
    );
  const out = new Tensor(x.data, dims);
  out.base = x;
  if (!needsGrad(x)) return out;
  return record(out, 'reshape', [x], (g) => passGrad(x, g));
}

function normAxis(op: string, rank: number, axis: number, shape: Shape): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank)
    throw shapeError(op, `axis ${axis} is out of range for ${fmtShape(shape)}`);
  return a;
}

/** Concatenation along `axis`; all other dimensions must agree. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  const first = xs[0];
  if (!first) throw shapeError('concat', 'needs at least one tensor');
  const a = normAxis('concat', first.rank, axis, first.shape);
  let total = 0;
  for (const [i, x] of xs.entries()) {
    x.assertLive('concat');
    if (x.rank !== first.rank || x.shape.some((d, j) => j !== a && d !== first.shape[j])) {
      throw shapeError(
        'concat',
        `tensor ${i} has shape ${fmtShape(x.shape)}, incompatible with ${fmtShape(first.shape)} along axis ${axis}`,
      );
    }
    total += x.shape[a]!;
  }
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < a; i++) outer *= first.shape[i]!;
  for (let i = a + 1; i < first.rank; i++) inner *= first.shape[i]!;
  const shape = first.shape.slice();
  shape[a] = total;
  const out = emptyTensor(shape);
  const od = out.data;
  const rowOut = total * inner;
  let offset = 0;
  for (const x of xs) {
    const w = x.shape[a]! * inner;
    for (let o = 0; o < outer; o++) od.set(x.data.subarray(o * w, (o + 1) * w), o * rowOut + offset);
    offset += w;
  }
  let any = false;
  for (const x of xs) any ||= needsGrad(x);
  if (!any) return out;
  return record(out, 'concat', xs, (g) => {
    let off = 0;
    for (const x of xs) {
      const w = x.shape[a]! * inner;
      if (x.requiresGrad) {
        const gx = gradOf(x);
        for (let o = 0; o < outer; o++) {
          const src = o * rowOut + off;
          const dst = o * w;
          for (let j = 0; j < w; j++) gx[dst + j]! += g[src + j]!;
        }
      }
      off += w;
    }
  });
}

/** x[..., start:end, ...] along `axis` (a copy). */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  x.assertLive('slice');
  const a = normAxis('slice', x.rank, axis, x.shape);
  const len = x.shape[a]!;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > len || start > end) {
    throw shapeError('slice', `range [${start}, ${end}) is invalid for axis ${axis} of ${fmtShape(x.shape)}`);
  }
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < a; i++) outer *= x.shape[i]!;
  for (let i = a + 1; i < x.rank; i++) inner *= x.shape[i]!;
  const shape = x.shape.slice();
  shape[a] = end - start;
  const out = emptyTensor(shape);
  const w = (end - start) * inner;
  const rowIn = len * inner;
  for (let o = 0; o < outer; o++) {
    const s = o * rowIn + start * inner;
    out.data.set(x.data.subarray(s, s + w), o * w);
  }
  if (!needsGrad(x)) return out;
  return record(out, 'slice', [x], (g) => {
    const gx = gradOf(x);
    for (let o = 0; o < outer; o++) {
      const s = o * rowIn + start * inner;
      for (let j = 0; j < w; j++) gx[s + j]! += g[o * w + j]!;
    }
  });
}

/** Transpose of a 2-D tensor (a copy). */
export function transpose(x: Tensor): Tensor {
  x.assertLive('transpose');
  if (x.rank !== 2) throw shapeError('transpose', `needs a 2-D tensor, got ${fmtShape(x.shape)}`);
  const [r, c] = [x.shape[0]!, x.shape[1]!];
  const out = emptyTensor([c, r]);
  const xd = x.data;
  const od = out.data;
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) od[j * r + i] = xd[i * c + j]!;
  if (!needsGrad(x)) return out;
  return record(out, 'transpose', [x], (g) => {
    const gx = gradOf(x);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) gx[i * c + j]! += g[j * r + i]!;
  });
}
