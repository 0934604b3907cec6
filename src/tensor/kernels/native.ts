// The native kernel backend: a Node-API addon (native/, built into build/Release/molgrove_native.node
// by scripts/build-native.mjs at install time) with a cache-blocked AVX2/FMA GEMM, a thread pool,
// vectorized index kernels and the streaming kernels (native/stream.cc). Optional everywhere: loading
// returns null (never throws) when the addon was not built, cannot load, or this is not Node (browser
// bundles never touch `process` or `require`).

import type { F32, I32, Kernels } from './types.js';

export interface NativeInfo {
  /** The SIMD path in use: 'avx2' (AVX2 + FMA, chosen at run time) or 'generic' (portable C++). */
  simd: 'avx2' | 'generic';
  /** Threads the kernels may use (MOLGROVE_THREADS, else the hardware concurrency; see setNativeThreads). */
  threads: number;
  /** 'openblas' when built with MOLGROVE_NATIVE_BLAS=openblas (gemm then calls cblas_sgemm), else null. */
  blas: string | null;
}

interface NativeAddon {
  gemm: Kernels['gemm'];
  gatherRows(src: F32, cols: number, index: I32, out: F32, accumulate: boolean): void;
  scatterAddRows(src: F32, cols: number, index: I32, out: F32): void;
  segmentMaxRows(src: F32, cols: number, index: I32, numSegments: number, out: F32, argmax: I32): void;
  // Streaming kernels (native/stream.cc): absent from addons built before they existed, which still load.
  gatherScatterAddRows?: Kernels['gatherScatterAddRows'];
  activation?: Kernels['activation'];
  activationBackward?: Kernels['activationBackward'];
  sumRows?: Kernels['sumRows'];
  columnMeanVar?: Kernels['columnMeanVar'];
  scaleShiftRows?: Kernels['scaleShiftRows'];
  batchNormBackward?: Kernels['batchNormBackward'];
  dropout?: Kernels['dropout'];
  adamStep?: Kernels['adamStep'];
  add?: Kernels['add'];
  accumulate?: Kernels['accumulate'];
  mul?: Kernels['mul'];
  setNumThreads(n: number): void;
  getNumThreads(): number;
  info(): NativeInfo;
}

interface NodeModuleApi {
  createRequire(from: string | URL): (id: string) => unknown;
}

interface NodeFsApi {
  existsSync(path: string | URL): boolean;
}

interface NodeUrlApi {
  fileURLToPath(url: string | URL): string;
}

interface NodeProcess {
  getBuiltinModule?: (id: string) => unknown;
}

// Where the addon lives relative to this module: the compiled file is dist/src/tensor/kernels/native.js,
// four levels below the package root; three levels covers running the TypeScript source directly.
const ADDON_CANDIDATES = [
  '../../../../build/Release/molgrove_native.node',
  '../../../build/Release/molgrove_native.node',
];

let addon: NativeAddon | null | undefined;

function loadAddon(): NativeAddon | null {
  if (addon !== undefined) return addon;
  addon = null;
  try {
    const proc = (globalThis as { process?: NodeProcess }).process;
    // process.getBuiltinModule keeps this synchronous and bundler-safe (Node >= 20.16); older Node
    // versions and browsers simply get no native backend.
    if (typeof proc?.getBuiltinModule !== 'function') return null;
    const mod = proc.getBuiltinModule('node:module') as NodeModuleApi | undefined;
    const fs = proc.getBuiltinModule('node:fs') as NodeFsApi | undefined;
    const url = proc.getBuiltinModule('node:url') as NodeUrlApi | undefined;
    if (!mod || !fs || !url) return null;
    const require = mod.createRequire(import.meta.url);
    for (const rel of ADDON_CANDIDATES) {
      const file = new URL(rel, import.meta.url);
      if (!fs.existsSync(file)) continue;
      const loaded = require(url.fileURLToPath(file)) as Partial<NativeAddon> | null;
      if (
        loaded &&
        typeof loaded.gemm === 'function' &&
        typeof loaded.gatherRows === 'function' &&
        typeof loaded.scatterAddRows === 'function' &&
        typeof loaded.segmentMaxRows === 'function' &&
        typeof loaded.info === 'function'
      ) {
        addon = loaded as NativeAddon;
        break;
      }
    }
  } catch {
    addon = null;
  }
  return addon;
}

let kernelsCache: Kernels | null | undefined;

/** The optional kernels the addon may provide; each is installed only when the loaded build has it. */
const OPTIONAL_KERNELS = [
  'gatherScatterAddRows',
  'activation',
  'activationBackward',
  'sumRows',
  'columnMeanVar',
  'scaleShiftRows',
  'batchNormBackward',
  'dropout',
  'adamStep',
  'add',
  'accumulate',
  'mul',
] as const satisfies readonly (keyof Kernels & keyof NativeAddon)[];

/** The native kernels, or null when the addon is not available here. Never throws. */
export function loadNativeKernels(): Kernels | null {
  if (kernelsCache !== undefined) return kernelsCache;
  const a = loadAddon();
  if (!a) {
    kernelsCache = null;
    return null;
  }
  const k: Kernels = {
    name: 'native',
    // The addon's functions ignore `this`, so they are installed as they are: no wrapper per call.
    gemm: a.gemm,
    gatherRows: a.gatherRows,
    scatterAddRows: a.scatterAddRows,
    segmentMaxRows: a.segmentMaxRows,
  };
  const optional = k as unknown as Record<string, unknown>;
  for (const name of OPTIONAL_KERNELS) {
    const fn = a[name];
    if (typeof fn === 'function') optional[name] = fn;
  }
  kernelsCache = k;
  return k;
}

/** What the loaded addon runs with, or null when it is not available. */
export function nativeInfo(): NativeInfo | null {
  const a = loadAddon();
  return a ? a.info() : null;
}

/** Sets the native kernels' thread count (clamped to [1, 256]); a no-op without the addon. */
export function setNativeThreads(n: number): void {
  const a = loadAddon();
  if (a) a.setNumThreads(n >= 1 ? Math.min(256, Math.floor(n)) : 1);
}
