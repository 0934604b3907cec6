// Reference streaming kernels: elementwise chains and per-column statistics (see types.ts for the
// contracts). Fast backends may implement any subset; the registry fills the rest from here.

import { activationBackward as actBackward, activationOfCode, applyActivation } from './activation.js';
import { dropoutWord, type Kernels } from './types.js';

type StreamKernels = Required<
  Pick<
    Kernels,
    | 'activation'
    | 'activationBackward'
    | 'sumRows'
    | 'columnMeanVar'
    | 'scaleShiftRows'
    | 'batchNormBackward'
    | 'dropout'
    | 'adamStep'
    | 'add'
    | 'accumulate'
    | 'mul'
  >
>;

export const jsStreamKernels: StreamKernels = {
  activation(act, x, n) {
    applyActivation(activationOfCode(act), x, 0, n);
  },

  activationBackward(act, g, y, pre, gPre, n) {
    actBackward(activationOfCode(act), g, y, pre, gPre, n);
  },

  sumRows(x, rows, cols, out) {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let j = 0; j < cols; j++) out[j]! += x[o + j]!;
    }
  },

  columnMeanVar(x, rows, cols, mean, variance) {
    const s = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let j = 0; j < cols; j++) s[j]! += x[o + j]!;
    }
    for (let j = 0; j < cols; j++) mean[j] = rows > 0 ? s[j]! / rows : 0;
    s.fill(0);
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let j = 0; j < cols; j++) {
        const d = x[o + j]! - mean[j]!;
        s[j]! += d * d;
      }
    }
    for (let j = 0; j < cols; j++) variance[j] = rows > 0 ? s[j]! / rows : 0;
  },

  scaleShiftRows(x, rows, cols, scale, shift, y) {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let j = 0; j < cols; j++) y[o + j] = x[o + j]! * scale[j]! + shift[j]!;
    }
  },

  batchNormBackward(g, x, rows, cols, mean, rstd, scale, training, gx, sumG, sumGX) {
    sumG.fill(0, 0, cols);
    sumGX.fill(0, 0, cols);
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let j = 0; j < cols; j++) {
        const gv = g[o + j]!;
        sumG[j]! += gv;
        sumGX[j]! += gv * (x[o + j]! - mean[j]!) * rstd[j]!;
      }
    }
    if (!training) {
      for (let r = 0; r < rows; r++) {
        const o = r * cols;
        for (let j = 0; j < cols; j++) gx[o + j]! += g[o + j]! * scale[j]!;
      }
      return;
    }
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let j = 0; j < cols; j++) {
        const xh = (x[o + j]! - mean[j]!) * rstd[j]!;
        gx[o + j]! += scale[j]! * (g[o + j]! - sumG[j]! / rows - (xh * sumGX[j]!) / rows);
      }
    }
  },

  dropout(x, y, mask, n, threshold16, scale, seedA, seedB) {
    let i = 0;
    for (let k = 0; i + 1 < n; k++, i += 2) {
      const r = dropoutWord(seedA, seedB, k);
      const m0 = (r & 0xffff) >= threshold16 ? scale : 0;
      const m1 = r >>> 16 >= threshold16 ? scale : 0;
      mask[i] = m0;
      mask[i + 1] = m1;
      y[i] = x[i]! * m0;
      y[i + 1] = x[i + 1]! * m1;
    }
    if (i < n) {
      const m0 = (dropoutWord(seedA, seedB, i >> 1) & 0xffff) >= threshold16 ? scale : 0;
      mask[i] = m0;
      y[i] = x[i]! * m0;
    }
  },

  adamStep(x, g, m, v, n, b1, b2, c1, c2, negStepSize, bc2Sqrt, eps) {
    const f = Math.fround;
    for (let k = 0; k < n; k++) {
      const gk = g[k]!;
      const mk = f(f(m[k]! * b1) + c1 * gk);
      const vk = f(f(v[k]! * b2) + f(c2 * gk) * gk);
      m[k] = mk;
      v[k] = vk;
      x[k] = x[k]! + f(f(negStepSize * mk) / f(f(f(Math.sqrt(vk)) / bc2Sqrt) + eps));
    }
  },

  add(a, b, out, n) {
    for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
  },

  accumulate(dst, src, n) {
    for (let i = 0; i < n; i++) dst[i]! += src[i]!;
  },

  mul(a, b, out, n) {
    for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
  },
};
