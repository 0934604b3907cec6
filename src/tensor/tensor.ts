// Tensors: float32 data on a typed array with a row-major shape, plus what autograd needs. Index
// tensors (int32) are a separate, gradient-free class. Parameters are leaf tensors that own plain
// (never pooled) storage and a persistent gradient buffer that accumulates until zeroed.

import { shapeError, TensorError } from './errors.js';
import { allocF32, inScope, type Releasable, track } from './memory.js';

export type Shape = readonly number[];

/** One recorded operation: how to push the output's gradient to the inputs that need it. */
export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  backward(grad: Float32Array): void;
}

const DISPOSED = new Float32Array(0);

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new TensorError('SHAPE', `invalid shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function fmtShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export class Tensor implements Releasable {
  data: Float32Array;
  readonly shape: number[];
  requiresGrad: boolean;
  /** Gradient of the last backward pass (accumulated for leaves until zeroed). */
  grad: Float32Array | null = null;
  /** Set on results of ops recorded for autograd. */
  node: GradNode | null = null;
  /** Pooled storage this tensor owns (null for plain memory and for views of other tensors). */
  storage: Releasable | null = null;
  /** The tensor whose storage this one shares (views such as reshape), kept alive with it. */
  base: Tensor | null = null;
  /** Pooled gradient storage (non-leaf gradients live only during backward). */
  gradStorage: Releasable | null = null;
  /** Keep a non-leaf tensor's gradient after backward (like torch's retain_grad). */
  retainGrad = false;
  disposed = false;
  /** Set when backward has consumed (and dropped) this tensor's recorded op. */
  graphFreed = false;

  constructor(data: Float32Array, shape: Shape, requiresGrad = false) {
    const n = sizeOf(shape);
    if (data.length !== n) {
      throw new TensorError(
        'SHAPE',
        `data has ${data.length} values but shape ${fmtShape(shape)} needs ${n}`,
      );
    }
    this.data = data;
    this.shape = [...shape];
    this.requiresGrad = requiresGrad;
  }

  get size(): number {
    return this.data.length;
  }
  get rank(): number {
    return this.shape.length;
  }
  /** Leading dimension (rows of a matrix). */
  get rows(): number {
    return this.shape[0] ?? 1;
  }
  /** Product of the trailing dimensions: the width of one row. */
  get cols(): number {
    let n = 1;
    for (let i = 1; i < this.shape.length; i++) n *= this.shape[i]!;
    return n;
  }
  get isLeaf(): boolean {
    return this.node === null;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    this.assertLive('item');
    if (this.data.length !== 1) throw shapeError('item', `tensor has ${this.data.length} values, not 1`);
    return this.data[0]!;
  }

  toArray(): number[] {
    this.assertLive('toArray');
    return Array.from(this.data);
  }

  /** A tensor sharing this one's data, outside the autograd graph. */
  detach(): Tensor {
    this.assertLive('detach');
    return new Tensor(this.data, this.shape, false);
  }

  assertLive(op: string): void {
    if (this.disposed) {
      throw new TensorError(
        'STATE',
        `${op}: tensor ${fmtShape(this.shape)} was released at the end of its tidy scope`,
      );
    }
  }

  release(): void {
    if (this.disposed) return;
    this.storage?.release();
    this.gradStorage?.release();
    this.storage = null;
    this.gradStorage = null;
    this.data = DISPOSED;
    this.grad = null;
    this.node = null;
    this.disposed = true;
  }
}

/** A trainable leaf tensor with a name, plain storage and a persistent gradient. */
export class Parameter extends Tensor {
  readonly name: string;
  constructor(name: string, data: Float32Array, shape: Shape) {
    super(data, shape, true);
    this.name = name;
  }
  override release(): void {
    // Parameters outlive every scope.
  }
}

/** int32 indices with a shape (no gradient). */
export class IntTensor {
  readonly data: Int32Array;
  readonly shape: number[];
  constructor(data: Int32Array, shape?: Shape) {
    const s = shape ?? [data.length];
    if (sizeOf(s) !== data.length) {
      throw new TensorError(
        'SHAPE',
        `index data has ${data.length} values but shape ${fmtShape(s)} needs ${sizeOf(s)}`,
      );
    }
    this.data = data;
    this.shape = [...s];
  }
  get size(): number {
    return this.data.length;
  }
}

/** Int32Array or IntTensor, as index arguments accept either. */
export type Index = Int32Array | IntTensor;

export function indexData(idx: Index): Int32Array {
  return idx instanceof IntTensor ? idx.data : idx;
}

/** A new result tensor: pooled storage inside a tidy scope (registered there), plain memory outside. */
export function emptyTensor(shape: Shape): Tensor {
  const n = sizeOf(shape);
  if (!inScope()) return new Tensor(new Float32Array(n), shape);
  const holder: { storage: Releasable | null } = { storage: null };
  const data = allocF32(n, holder);
  const t = new Tensor(data, shape);
  t.storage = holder.storage;
  track(t);
  return t;
}

/** A tensor over existing data (shares it; never pooled). */
export function tensor(data: ArrayLike<number> | Float32Array, shape?: Shape, requiresGrad = false): Tensor {
  const arr = data instanceof Float32Array ? data : Float32Array.from(data);
  return new Tensor(arr, shape ?? [arr.length], requiresGrad);
}

export function zeros(shape: Shape): Tensor {
  const t = emptyTensor(shape);
  t.data.fill(0);
  return t;
}

export function full(shape: Shape, value: number): Tensor {
  const t = emptyTensor(shape);
  t.data.fill(value);
  return t;
}

export function ones(shape: Shape): Tensor {
  return full(shape, 1);
}

export function scalar(value: number): Tensor {
  return full([], value);
}
