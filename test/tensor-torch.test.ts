// Forward values and input gradients of every op against PyTorch (float64 ground truth computed once
// from the same float32 inputs by scripts/fixtures/gen_tensor_ops.py; JSON null = NaN).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as T from '../src/tensor/index.js';

interface Arr {
  shape: number[];
  data: (number | null)[];
}
interface Case {
  name: string;
  inputs: Arr[];
  w: number[];
  out: Arr;
  grads: ((number | null)[] | null)[];
  extra?: Record<string, unknown>;
}

const fixture = JSON.parse(
  readFileSync(new URL('../../test/fixtures/tensor/ops.json', import.meta.url), 'utf8'),
) as {
  cases: Case[];
};

const nan = (v: (number | null)[]): Float32Array =>
  Float32Array.from(v, (x) => (x === null ? Number.NaN : x));
const i32 = (...v: number[]): Int32Array => Int32Array.from(v);
const IDX = i32(2, 0, 2, 2, 4);

type Fn = (xs: T.Tensor[], c: Case) => T.Tensor;
const target = (c: Case): Float32Array => nan(c.extra!['target'] as (number | null)[]);
let bnState: T.BatchNormState | null = null;

const OPS: Record<string, Fn> = {
  matmul: ([a, b]) => T.matmul(a!, b!),
  matmul_tA: ([a, b]) => T.matmul(a!, b!, { transA: true }),
  matmul_tB: ([a, b]) => T.matmul(a!, b!, { transB: true }),
  matmul_tAtB: ([a, b]) => T.matmul(a!, b!, { transA: true, transB: true }),
  bmm: ([a, b]) => T.bmm(a!, b!),
  linear_none: ([x, w, b]) => T.linear(x!, w!, b!, 'none'),
  linear_relu: ([x, w, b]) => T.linear(x!, w!, b!, 'relu'),
  linear_tanh: ([x, w, b]) => T.linear(x!, w!, b!, 'tanh'),
  linear_sigmoid: ([x, w, b]) => T.linear(x!, w!, b!, 'sigmoid'),
  linear_gelu: ([x, w, b]) => T.linear(x!, w!, b!, 'gelu'),
  add_row: ([a, b]) => T.add(a!, b!),
  sub_col: ([a, b]) => T.sub(a!, b!),
  mul_outer: ([a, b]) => T.mul(a!, b!),
  div: ([a, b]) => T.div(a!, b!),
  exp: ([x]) => T.exp(x!),
  log: ([x]) => T.log(x!),
  sqrt: ([x]) => T.sqrt(x!),
  sigmoid: ([x]) => T.sigmoid(x!),
  tanh: ([x]) => T.tanh(x!),
  relu: ([x]) => T.relu(x!),
  leaky_relu: ([x]) => T.leakyRelu(x!, 0.2),
  gelu: ([x]) => T.gelu(x!),
  softplus: ([x]) => T.softplus(x!),
  prelu: ([x, w]) => T.prelu(x!, w!),
  sum_axis1: ([x]) => T.sum(x!, 1),
  mean_axis0: ([x]) => T.mean(x!, 0),
  max_axis1: ([x]) => T.max(x!, 1),
  concat1: ([a, b]) => T.concat([a!, b!], 1),
  slice0: ([x]) => T.slice(x!, 0, 1, 3),
  gather: ([x]) => T.gatherRows(x!, i32(2, 0, 2, 1)),
  scatter_add: ([x]) => T.scatterAdd(x!, IDX, 5),
  gather_scatter: ([x]) => T.gatherScatter(x!, i32(0, 2, 2, 1, 0), i32(3, 0, 3, 3, 1), 4),
  segment_mean: ([x]) => T.segmentMean(x!, IDX, 5),
  segment_max: ([x]) => T.segmentMax(x!, IDX, 5),
  segment_softmax: ([x]) => T.segmentSoftmax(x!, IDX, 5),
  embedding: ([w]) => T.embedding(w!, i32(3, 1, 3)),
  layer_norm: ([x, g, b]) => T.layerNorm(x!, g!, b!),
  batch_norm_train: ([x, g, b]) => {
    bnState = T.batchNormState(3);
    return T.batchNorm(x!, g!, b!, bnState, true);
  },
  batch_norm_eval: ([x, g, b]) => {
    const s = T.batchNormState(3);
    s.runningMean.set([0.1, -0.2, 0.3]);
    s.runningVar.set([0.5, 1.5, 2]);
    return T.batchNorm(x!, g!, b!, s, false);
  },
  bce: ([x], c) => T.bceWithLogits(x!, target(c)),
  bce_pos_weight: ([x], c) =>
    T.bceWithLogits(x!, target(c), { posWeight: Float32Array.from(c.extra!['pos_weight'] as number[]) }),
  cross_entropy: ([x], c) => T.crossEntropy(x!, Int32Array.from(c.extra!['target'] as number[])),
  nll_loss: ([x], c) => T.nllLoss(T.logSoftmax(x!), Int32Array.from(c.extra!['target'] as number[])),
  mse: ([x], c) => T.mse(x!, target(c)),
  l1: ([x], c) => T.l1(x!, target(c)),
  softmax: ([x]) => T.softmax(x!),
  log_softmax: ([x]) => T.logSoftmax(x!),
};

function close(name: string, what: string, got: ArrayLike<number>, want: (number | null)[]): void {
  assert.equal(got.length, want.length, `${name} ${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const w = want[i] ?? Number.NaN;
    const g = got[i]!;
    assert.ok(
      Math.abs(g - w) <= 2e-5 + 2e-4 * Math.abs(w),
      `${name} ${what}[${i}]: molgrove ${g}, torch ${w}`,
    );
  }
}

test('every fixture case has an op mapping', () => {
  const missing = fixture.cases.map((c) => c.name).filter((n) => !(n in OPS));
  assert.deepEqual(missing, []);
  assert.ok(fixture.cases.length >= 40);
});

for (const c of fixture.cases) {
  test(`matches torch: ${c.name}`, () => {
    const fn = OPS[c.name]!;
    const xs = c.inputs.map((a) => T.tensor(nan(a.data), a.shape, true));
    const out = fn(xs, c);
    assert.deepEqual(out.shape, c.out.shape, `${c.name}: shape`);
    close(c.name, 'out', out.data, c.out.data);
    T.backward(out, Float32Array.from(c.w));
    c.grads.forEach((g, k) => {
      if (g) close(c.name, `grad ${k}`, xs[k]!.grad ?? new Float32Array(g.length), g);
    });
    if (c.name === 'batch_norm_train') {
      close(c.name, 'running mean', bnState!.runningMean, c.extra!['running_mean'] as number[]);
      close(c.name, 'running var', bnState!.runningVar, c.extra!['running_var'] as number[]);
    }
  });
}
