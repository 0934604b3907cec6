// A GEMM worker thread of the WebAssembly backend (Node only; started by wasm.ts). It instantiates the
// threaded kernels over the shared memory it is given, then waits for jobs and helps run their chunks
// (workerLoop in wasm-protocol.ts). The owner unref()s it, so a worker sleeping in Atomics.wait never
// keeps the process alive.
import { parentPort, workerData } from 'node:worker_threads';
import { type KernelExports, type WorkerInit, wasmApi, workerLoop } from './wasm-protocol.js';

const init = workerData as WorkerInit;
const api = wasmApi();
if (!api) throw new Error('molgrove wasm worker: WebAssembly is not available');
const ex = new api.Instance(init.module, { env: { memory: init.memory } }).exports as KernelExports;
const ctrl = new Int32Array(init.ctrl);
const ctrlF = new Float32Array(init.ctrl);
parentPort?.postMessage('ready');

workerLoop(ex, ctrl, ctrlF, init.ws);
