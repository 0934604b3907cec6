// The module system and basic layers: naming, state dicts (strict loading, buffers), train/eval
// propagation, and that a small MLP actually learns.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MolgroveError } from '../src/errors.js';
import { BatchNorm, Dropout, Linear, MLP, Module } from '../src/models/index.js';
import * as T from '../src/tensor/index.js';

class Net extends Module {
  readonly mlp: MLP;
  readonly norm: BatchNorm;
  readonly drop: Dropout;
  constructor(rng: T.Rng) {
    super();
    this.mlp = this.child('mlp', new MLP([4, 8, 3], rng));
    this.norm = this.child('norm', new BatchNorm(3));
    this.drop = this.child('drop', new Dropout(0.5, rng.fork()));
  }
  forward(x: T.Tensor): T.Tensor {
    return this.drop.forward(this.norm.forward(this.mlp.forward(x)));
  }
}

test('parameters and buffers are named by dotted paths; counts add up', () => {
  const net = new Net(new T.Rng(1));
  assert.deepEqual(
    net.namedParameters().map(([n]) => n),
    ['mlp.0.weight', 'mlp.0.bias', 'mlp.1.weight', 'mlp.1.bias', 'norm.weight', 'norm.bias'],
  );
  assert.deepEqual(
    net.namedBuffers().map(([n]) => n),
    ['norm.running_mean', 'norm.running_var'],
  );
  assert.equal(net.parameterCount(), 4 * 8 + 8 + 8 * 3 + 3 + 3 + 3);
});

test('registering a member twice or with a dotted name is a config error', () => {
  class Bad extends Module {
    constructor(twice: boolean) {
      super();
      const rng = new T.Rng(0);
      this.child('a', new Linear(2, 2, rng));
      this.child(twice ? 'a' : 'b.c', new Linear(2, 2, rng));
    }
  }
  assert.throws(
    () => new Bad(true),
    (e: unknown) => e instanceof MolgroveError && /registered twice/.test(e.message),
  );
  assert.throws(() => new Bad(false), /invalid module member name "b.c"/);
});

test('state dicts round-trip parameters and running statistics; loading is strict about names and shapes', () => {
  const a = new Net(new T.Rng(2));
  T.tidy(() =>
    a.forward(
      T.tensor(
        Float32Array.from({ length: 20 }, (_, i) => Math.sin(i)),
        [5, 4],
      ),
    ),
  );
  const sd = a.stateDict();
  assert.notDeepEqual(
    Array.from(sd['norm.running_mean']!.data),
    [0, 0, 0],
    'a training forward updated the running mean',
  );
  const b = new Net(new T.Rng(3));
  b.loadStateDict(sd);
  assert.deepEqual(b.stateDict(), sd);
  // Copies, not views: changing the dict later does not change the model.
  sd['mlp.0.bias']!.data.fill(42);
  assert.notEqual(b.mlp.layers[0]!.bias!.data[0], 42);
  const { ['norm.bias']: _dropped, ...missing } = a.stateDict();
  assert.throws(() => b.loadStateDict(missing), /lacks norm\.bias/);
  assert.throws(
    () => b.loadStateDict({ ...a.stateDict(), extra: { shape: [1], data: new Float32Array(1) } }),
    /unknown entries extra/,
  );
  b.loadStateDict(
    { ...a.stateDict(), extra: { shape: [1], data: new Float32Array(1) } },
    { allowExtra: true },
  );
  const wrong = a.stateDict();
  wrong['mlp.1.weight'] = { shape: [2, 8], data: new Float32Array(16) };
  assert.throws(() => b.loadStateDict(wrong), /mlp\.1\.weight has shape \[2, 8\], expected \[3, 8\]/);
});

test('a state dict survives the safetensors-layout encoding', () => {
  const a = new Net(new T.Rng(4));
  const bytes = T.encodeTensors(a.stateDict(), { arch: 'net' });
  const decoded = T.decodeTensors(bytes);
  const sd: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [n, t] of Object.entries(decoded.tensors))
    sd[n] = { shape: [...t.shape], data: t.data as Float32Array };
  const b = new Net(new T.Rng(5));
  b.loadStateDict(sd);
  assert.deepEqual(b.stateDict(), a.stateDict());
  assert.equal(decoded.metadata['arch'], 'net');
});

test('eval() reaches every child: dropout becomes identity and batch norm uses running statistics', () => {
  const net = new Net(new T.Rng(6)).eval();
  assert.equal(net.norm.training, false);
  assert.equal(net.drop.training, false);
  const x = T.tensor(
    Float32Array.from({ length: 8 }, (_, i) => i / 8),
    [2, 4],
  );
  const before = net.stateDict();
  const y1 = T.noGrad(() => net.forward(x)).toArray();
  const y2 = T.noGrad(() => net.forward(x)).toArray();
  assert.deepEqual(y1, y2);
  assert.deepEqual(net.stateDict(), before, 'eval forward changed no running statistic');
  net.train();
  assert.equal(net.drop.training, true);
});

test('Linear computes x·Wᵀ + b with [out, in] weights', () => {
  const lin = new Linear(3, 2, new T.Rng(7));
  lin.weight.data.set([1, 2, 3, 4, 5, 6]);
  lin.bias!.data.set([0.5, -1]);
  const y = lin.forward(T.tensor([1, 0, -1], [1, 3]));
  assert.deepEqual(y.toArray(), [1 - 3 + 0.5, 4 - 6 - 1]);
});

test('an MLP fits a small regression problem (loss falls by 100×)', () => {
  const rng = new T.Rng(8);
  const mlp = new MLP([2, 16, 1], rng, 'tanh');
  const xs = new Float32Array(64);
  const ys = new Float32Array(32);
  for (let i = 0; i < 32; i++) {
    const a = rng.uniform(-1, 1);
    const b = rng.uniform(-1, 1);
    xs.set([a, b], 2 * i);
    ys[i] = a * b + 0.5 * a;
  }
  const x = T.tensor(xs, [32, 2]);
  const opt = new T.Adam(mlp.parameters(), { lr: 0.02 });
  const step = (): number =>
    T.tidy(() => {
      opt.zeroGrad();
      const loss = T.mse(mlp.forward(x), ys);
      T.backward(loss);
      opt.step();
      return loss.item();
    });
  const first = step();
  let last = first;
  for (let i = 0; i < 400; i++) last = step();
  assert.ok(last < first / 100, `loss ${first} → ${last}`);
});
