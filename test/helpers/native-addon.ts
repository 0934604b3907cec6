// What the native-kernel tests share: the addon (or null when it was not built), its test-only
// SIMD hook, a thread-count scope and a small seeded generator for test data.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { loadNativeKernels, nativeInfo, setNativeThreads } from '../../src/tensor/kernels/native.js';

export const native = loadNativeKernels();

// Test-only hooks of the addon (not part of the Kernels contract). dist/test/helpers/ -> package root.
export const addonPath = new URL('../../../build/Release/molgrove_native.node', import.meta.url);
export interface Hooks {
  _setSimd(name: 'generic' | 'avx2'): boolean;
}
export const hooks = native ? (createRequire(import.meta.url)(fileURLToPath(addonPath)) as Hooks) : null;

/** mulberry32: uniform [0, 1) from a seed, for reproducible test data. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs fn with the addon's pool at n threads, restoring the previous count afterwards. */
export function withThreads<T>(n: number, fn: () => T): T {
  const before = nativeInfo()?.threads ?? 1;
  setNativeThreads(n);
  try {
    return fn();
  } finally {
    setNativeThreads(before);
  }
}
