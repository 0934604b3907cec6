// Worker thread of run-in-thread.ts: executes one study run (execute.ts), posting its progress and
// outcome back. Long kernels block a thread's event loop; running here keeps the caller's free (a
// queue worker must keep renewing its job locks while a run trains).

import { parentPort, workerData } from 'node:worker_threads';
import { loadRDKit } from '../chem/rdkit.js';
import { describeError } from '../train/seed-pool.js';
import { executeRun } from './execute.js';
import type { FromRunThread, RunThreadInput, ToRunThread } from './run-in-thread.js';

const port = parentPort!;
const input = workerData as RunThreadInput;
const abort = new AbortController();
const post = (m: FromRunThread): void => port.postMessage(m);

port.on('message', (msg: ToRunThread) => {
  if (msg.type === 'abort') abort.abort();
});

loadRDKit()
  .then(() =>
    executeRun(input.job, {
      ...input.context,
      signal: abort.signal,
      onEvent: (event) => post({ type: 'event', event }),
    }),
  )
  .then(
    (outcome) => post({ type: 'outcome', outcome }),
    (err: unknown) => post({ type: 'error', error: describeError(err) }),
  )
  .finally(() => port.close());
