// Which kernels the ops call. Chosen once, lazily: MOLGROVE_BACKEND=js|wasm|native forces one
// (an unavailable forced backend is an error, not a silent fallback); otherwise the fastest that
// loads: native addon, then WebAssembly SIMD, then the JS reference kernels.

import { TensorError } from './errors.js';
import { jsKernels } from './kernels/js.js';
import { loadNativeKernels } from './kernels/native.js';
import type { BackendName, FullKernels, Kernels } from './kernels/types.js';
import { loadWasmKernels } from './kernels/wasm.js';

type Loader = () => Kernels | null;

const loaders: Record<BackendName, Loader> = {
  js: () => jsKernels,
  wasm: () => loadWasmKernels(),
  native: () => loadNativeKernels(),
};

const loaded = new Map<BackendName, FullKernels | null>();
let current: FullKernels | null = null;

/** A backend's kernels with every optional kernel it lacks taken from the JS reference. */
function withFallbacks(k: Kernels): FullKernels {
  const full: Record<string, unknown> = { ...jsKernels };
  const src = k as unknown as Record<string, unknown>;
  for (const key of Object.keys(jsKernels)) {
    const v = src[key];
    if (typeof v === 'function') full[key] = (v as (...a: unknown[]) => unknown).bind(k);
    else if (v !== undefined) full[key] = v;
  }
  return full as unknown as FullKernels;
}

/** Installs the loader of a fast backend (done by the module that implements it). */
export function registerBackend(name: Exclude<BackendName, 'js'>, loader: Loader): void {
  loaders[name] = loader;
  loaded.delete(name);
}

/** The kernels of backend `name`, or null if it cannot load here. */
export function tryBackend(name: BackendName): FullKernels | null {
  if (!loaded.has(name)) {
    let k: Kernels | null = null;
    try {
      k = loaders[name]();
    } catch {
      k = null;
    }
    loaded.set(name, k ? withFallbacks(k) : null);
  }
  return loaded.get(name) ?? null;
}

function envBackend(): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const v = env?.['MOLGROVE_BACKEND']?.trim();
  return v === '' ? undefined : v;
}

function isBackendName(v: string): v is BackendName {
  return v === 'js' || v === 'wasm' || v === 'native';
}

/** Selects a backend explicitly (throws if it is unavailable). */
export function setBackend(name: BackendName): FullKernels {
  if (!isBackendName(name)) {
    throw new TensorError('CONFIG', `unknown backend "${name}"; choose one of js, wasm, native`);
  }
  const k = tryBackend(name);
  if (!k) throw new TensorError('CONFIG', `backend "${name}" is not available on this machine`);
  current = k;
  return k;
}

function select(): FullKernels {
  const forced = envBackend();
  if (forced !== undefined) {
    if (!isBackendName(forced)) {
      throw new TensorError('CONFIG', `MOLGROVE_BACKEND="${forced}" is not one of js, wasm, native`);
    }
    return setBackend(forced);
  }
  return tryBackend('native') ?? tryBackend('wasm') ?? jsKernels;
}

/** The active kernels. */
export function kernels(): FullKernels {
  if (current === null) current = select();
  return current;
}

export function backendName(): BackendName {
  return kernels().name;
}
