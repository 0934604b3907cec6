// Parameter initializers, with PyTorch's conventions for fan-in/fan-out (weights are [out, in]).

import type { Rng } from './random.js';
import { Parameter, type Shape, sizeOf } from './tensor.js';

function fans(shape: Shape): { fanIn: number; fanOut: number } {
  if (shape.length < 2) {
    const n = shape[0] ?? 1;
    return { fanIn: n, fanOut: n };
  }
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i]!;
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

export function uniformParam(name: string, shape: Shape, bound: number, rng: Rng): Parameter {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-bound, bound);
  return new Parameter(name, data, shape);
}

export function normalParam(name: string, shape: Shape, std: number, rng: Rng): Parameter {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal(0, std);
  return new Parameter(name, data, shape);
}

export function constantParam(name: string, shape: Shape, value: number): Parameter {
  return new Parameter(name, new Float32Array(sizeOf(shape)).fill(value), shape);
}

/** Glorot/Xavier uniform: U(±gain·sqrt(6 / (fanIn + fanOut))). */
export function xavierUniform(name: string, shape: Shape, rng: Rng, gain = 1): Parameter {
  const { fanIn, fanOut } = fans(shape);
  return uniformParam(name, shape, gain * Math.sqrt(6 / (fanIn + fanOut)), rng);
}

/** torch.nn.Linear's default weight init (kaiming_uniform with a = √5): U(±1/√fanIn). */
export function linearWeight(name: string, outFeatures: number, inFeatures: number, rng: Rng): Parameter {
  return uniformParam(name, [outFeatures, inFeatures], 1 / Math.sqrt(Math.max(1, inFeatures)), rng);
}

/** torch.nn.Linear's default bias init: U(±1/√fanIn). */
export function linearBias(name: string, outFeatures: number, inFeatures: number, rng: Rng): Parameter {
  return uniformParam(name, [outFeatures], 1 / Math.sqrt(Math.max(1, inFeatures)), rng);
}
