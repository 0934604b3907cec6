// A GEMM worker thread of the WebAssembly backend (Node only; started by wasm.ts). It instantiates the
// threaded kernels over the shared memory it is given, then sleeps in Atomics.wait until a job is
// published and helps run its chunks (see wasm-protocol.ts). The owner unref()s it, so a worker
// blocked here never keeps the process alive.
import { parentPort, workerData } from 'node:worker_threads';
import { GEN, type KernelExports, runChunks, STOP, type WorkerInit, wasmApi } from './wasm-protocol.js';

const init = workerData as WorkerInit;
const api = wasmApi();
if (!api) throw new Error('molgrove wasm worker: WebAssembly is not available');
const ex = new api.Instance(init.module, { env: { memory: init.memory } }).exports as KernelExports;
const ctrl = new Int32Array(init.ctrl);
const ctrlF = new Float32Array(init.ctrl);
parentPort?.postMessage('ready');

// -1 is never a generation, so the first wait returns at once and the worker joins a job that may
// already be running.
let seen = -1;
for (;;) {
  Atomics.wait(ctrl, GEN, seen);
  seen = Atomics.load(ctrl, GEN);
  if (Atomics.load(ctrl, STOP) !== 0) break;
  runChunks(ex, ctrl, ctrlF, init.ws, seen, true);
}
