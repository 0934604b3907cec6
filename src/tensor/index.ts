// molgrove's tensor engine: float32 tensors, reverse-mode autograd, graph ops, optimizers.
// Imports nothing else of molgrove.

export { backward, gradOf, isGradEnabled, noGrad } from './autograd.js';
export { backendName, kernels, registerBackend, setBackend, tryBackend } from './backend.js';
export { TensorError, type TensorErrorCode } from './errors.js';
export * from './init.js';
export { ACTIVATIONS, type Activation } from './kernels/activation.js';
export { jsKernels } from './kernels/js.js';
export type { BackendName, Kernels } from './kernels/types.js';
export { clearPool, keep, type PoolStats, pooledBytes, poolStats, tidy } from './memory.js';
export { add, addN, addScalar, affine, div, mul, mulScalar, neg, sub } from './ops/elementwise.js';
export * from './ops/loss.js';
export { bmm, linear, type MatmulOptions, matmul } from './ops/matmul.js';
export * from './ops/nn.js';
export { max, mean, sum } from './ops/reduce.js';
export * from './ops/segment.js';
export { concat, reshape, slice, transpose } from './ops/shape.js';
export {
  exp,
  gelu,
  leakyRelu,
  log,
  prelu,
  relu,
  sigmoid,
  softplus,
  sqrt,
  square,
  tanh,
} from './ops/unary.js';
export * from './optim/index.js';
export { Rng } from './random.js';
export {
  type DecodedTensors,
  decodeTensors,
  encodeTensors,
  type MetadataValue,
  SerializeError,
} from './serialize.js';
export {
  emptyTensor,
  full,
  type Index,
  IntTensor,
  indexData,
  ones,
  Parameter,
  type Shape,
  scalar,
  sizeOf,
  Tensor,
  tensor,
  zeros,
} from './tensor.js';
