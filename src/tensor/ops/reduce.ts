// Reductions: sum, mean and max over one axis (or everything), with keepdim like PyTorch. Max
// routes the gradient to the first maximal element (the argmax), as torch.max(dim) does.

import { gradOf, needsGrad, record } from '../autograd.js';
import { shapeError } from '../errors.js';
import { allocI32 } from '../memory.js';
import { emptyTensor, fmtShape, type Tensor } from '../tensor.js';

function normAxis(op: string, x: Tensor, axis: number): number {
  const a = axis < 0 ? axis + x.rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= x.rank) {
    throw shapeError(op, `axis ${axis} is out of range for ${fmtShape(x.shape)}`);
  }
  return a;
}

/** [outer, len, inner] view of x around `axis`, and the result shape. */
function split(
  x: Tensor,
  axis: number,
  keepdim: boolean,
): { outer: number; len: number; inner: number; shape: number[] } {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= x.shape[i]!;
  for (let i = axis + 1; i < x.rank; i++) inner *= x.shape[i]!;
  const shape = x.shape.slice();
  if (keepdim) shape[axis] = 1;
  else shape.splice(axis, 1);
  return { outer, len: x.shape[axis]!, inner, shape };
}

function sumOrMean(op: 'sum' | 'mean', x: Tensor, axis: number | undefined, keepdim: boolean): Tensor {
  x.assertLive(op);
  const xd = x.data;
  if (axis === undefined) {
    let s = 0;
    for (let i = 0; i < xd.length; i++) s += xd[i]!;
    const scale = op === 'mean' ? 1 / xd.length : 1;
    const out = emptyTensor(keepdim ? x.shape.map(() => 1) : []);
    out.data[0] = s * scale;
    if (!needsGrad(x)) return out;
    return record(out, op, [x], (g) => {
      const gx = gradOf(x);
      const gv = g[0]! * scale;
      for (let i = 0; i < gx.length; i++) gx[i]! += gv;
    });
  }
  const a = normAxis(op, x, axis);
  const { outer, len, inner, shape } = split(x, a, keepdim);
  const out = emptyTensor(shape);
  const od = out.data;
  od.fill(0);
  const scale = op === 'mean' ? 1 / len : 1;
  for (let o = 0; o < outer; o++) {
    const base = o * len * inner;
    const ob = o * inner;
    for (let l = 0; l < len; l++) {
      const r = base + l * inner;
      for (let i = 0; i < inner; i++) od[ob + i]! += xd[r + i]!;
    }
    if (scale !== 1) for (let i = 0; i < inner; i++) od[ob + i]! *= scale;
  }
  if (!needsGrad(x)) return out;
  return record(out, op, [x], (g) => {
    const gx = gradOf(x);
    for (let o = 0; o < outer; o++) {
      const base = o * len * inner;
      const ob = o * inner;
      for (let l = 0; l < len; l++) {
        const r = base + l * inner;
        for (let i = 0; i < inner; i++) gx[r + i]! += g[ob + i]! * scale;
      }
    }
  });
}

/** Sum over `axis`, or of all elements when axis is omitted. */
export function sum(x: Tensor, axis?: number, keepdim = false): Tensor {
  return sumOrMean('sum', x, axis, keepdim);
}

/** Mean over `axis`, or of all elements when axis is omitted. */
export function mean(x: Tensor, axis?: number, keepdim = false): Tensor {
  return sumOrMean('mean', x, axis, keepdim);
}

/** Maximum over `axis` (all elements when omitted); the gradient goes to the first argmax. */
export function max(x: Tensor, axis?: number, keepdim = false): Tensor {
  x.assertLive('max');
  if (x.size === 0)
    throw shapeError('max', `cannot take the maximum of an empty tensor ${fmtShape(x.shape)}`);
  const xd = x.data;
  let outer: number;
  let len: number;
  let inner: number;
  let shape: number[];
  if (axis === undefined) {
    outer = 1;
    len = xd.length;
    inner = 1;
    shape = keepdim ? x.shape.map(() => 1) : [];
  } else {
    const a = normAxis('max', x, axis);
    ({ outer, len, inner, shape } = split(x, a, keepdim));
    if (len === 0) throw shapeError('max', `axis ${axis} of ${fmtShape(x.shape)} is empty`);
  }
  const out = emptyTensor(shape);
  const od = out.data;
  const arg = allocI32(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      let best = xd[base]!;
      let bi = 0;
      for (let l = 1; l < len; l++) {
        const v = xd[base + l * inner]!;
        if (v > best) {
          best = v;
          bi = l;
        }
      }
      od[o * inner + i] = best;
      arg[o * inner + i] = base + bi * inner;
    }
  }
  if (!needsGrad(x)) return out;
  return record(out, 'max', [x], (g) => {
    const gx = gradOf(x);
    for (let j = 0; j < arg.length; j++) gx[arg[j]!]! += g[j]!;
  });
}
