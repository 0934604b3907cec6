// Reverse-mode autograd. Ops record a GradNode on their result when grad mode is on and an input
// requires grad; `backward` walks the recorded graph in reverse topological order. Non-leaf gradients
// are pooled and dropped as soon as they have been pushed to the inputs; leaf gradients persist and
// accumulate across backward calls until zeroed (gradient accumulation).

import { kernels } from './backend.js';
import { TensorError } from './errors.js';
import { allocF32, inScope, type Releasable } from './memory.js';
import type { GradNode, Tensor } from './tensor.js';

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording operations (inference, optimizer updates, metrics). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

export function needsGrad(a: Tensor, b?: Tensor | null, c?: Tensor | null): boolean {
  return gradEnabled && (a.requiresGrad || (b?.requiresGrad ?? false) || (c?.requiresGrad ?? false));
}

/** Attaches the backward rule to `out` when any input requires grad; returns `out`. */
export function record(
  out: Tensor,
  op: string,
  inputs: readonly Tensor[],
  backward: (grad: Float32Array) => void,
): Tensor {
  if (!gradEnabled) return out;
  let any = false;
  for (const t of inputs) any ||= t.requiresGrad;
  if (!any) return out;
  out.requiresGrad = true;
  const node: GradNode = { op, inputs, backward };
  out.node = node;
  return out;
}

/** The gradient buffer of `t` to accumulate into, created zero-filled on first use. */
export function gradOf(t: Tensor): Float32Array {
  if (t.grad) return t.grad;
  let g: Float32Array;
  if (t.isLeaf || !inScope()) {
    g = new Float32Array(t.size);
  } else {
    const holder: { storage: Releasable | null } = { storage: null };
    g = allocF32(t.size, holder);
    g.fill(0);
    t.gradStorage = holder.storage;
  }
  t.grad = g;
  return g;
}

/**
 * A gradient buffer for x that the caller will fully overwrite, when x has none yet (saves the
 * zero fill and the read of an accumulation); null when x already has a gradient to add into.
 */
export function freshGrad(x: Tensor): Float32Array | null {
  if (x.grad) return null;
  let g: Float32Array;
  if (x.isLeaf || !inScope()) g = new Float32Array(x.size);
  else {
    const holder: { storage: Releasable | null } = { storage: null };
    g = allocF32(x.size, holder);
    x.gradStorage = holder.storage;
  }
  x.grad = g;
  return g;
}

// The tensor whose gradient the running backward rule received, while that gradient may still be
// handed over (see passGrad).
let donor: Tensor | null = null;

/**
 * Adds `g` (the gradient a backward rule received, unchanged) to x's gradient. When x has no
 * gradient yet, is not a leaf, and the output's gradient would be dropped right after this rule,
 * the buffer itself is handed over instead of copied: add, reshape and similar pass-through rules
 * then cost nothing.
 */
export function passGrad(x: Tensor, g: Float32Array): void {
  const d = donor;
  if (d !== null && d.grad === g && x.grad === null && !x.isLeaf && x.size === g.length) {
    x.grad = g;
    x.gradStorage = d.gradStorage;
    d.gradStorage = null;
    d.grad = null;
    donor = null;
    return;
  }
  const fresh = freshGrad(x);
  if (fresh) fresh.set(g);
  else kernels().accumulate(x.grad!, g, g.length);
}

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>([root]);
  const stack: { t: Tensor; next: number }[] = [{ t: root, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const inputs = top.t.node?.inputs ?? [];
    if (top.next < inputs.length) {
      const child = inputs[top.next++]!;
      if (child.requiresGrad && !seen.has(child)) {
        seen.add(child);
        stack.push({ t: child, next: 0 });
      }
    } else {
      order.push(top.t);
      stack.pop();
    }
  }
  return order;
}

/**
 * Backpropagates from `root` (a one-element tensor unless `grad` is given). Frees the graph: a second
 * backward through the same ops is an error, as in PyTorch without retain_graph.
 */
export function backward(root: Tensor, grad?: Float32Array): void {
  root.assertLive('backward');
  if (!root.requiresGrad) throw new TensorError('STATE', 'backward: tensor does not require grad');
  if (root.graphFreed) {
    throw new TensorError(
      'STATE',
      'backward: the graph of this tensor was already used by an earlier backward',
    );
  }
  if (!grad && root.size !== 1) {
    throw new TensorError(
      'SHAPE',
      `backward: implicit gradient needs a one-element tensor, got ${root.size} values`,
    );
  }
  const order = topoOrder(root);
  const g0 = gradOf(root);
  if (grad) {
    if (grad.length !== root.size) throw new TensorError('SHAPE', 'backward: gradient size mismatch');
    for (let i = 0; i < g0.length; i++) g0[i]! += grad[i]!;
  } else g0[0]! += 1;
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i]!;
    const node = t.node;
    if (!node) continue;
    if (t.grad) {
      donor = t.retainGrad || t === root ? null : t;
      try {
        node.backward(t.grad);
      } finally {
        donor = null;
      }
    }
    t.node = null;
    t.graphFreed = true;
    if (!t.retainGrad) {
      t.gradStorage?.release();
      t.gradStorage = null;
      t.grad = null;
    }
  }
}
