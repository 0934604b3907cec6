// Worker thread of the seed pool (seed-pool.ts): prepares the run once, then trains the seeds it
// is sent, one at a time, posting every training event back.

import { parentPort } from 'node:worker_threads';
import { loadRDKit } from '../chem/rdkit.js';
import { prepareRun, type RunContext, runSeed } from './finetune.js';
import { describeError as describe, type FromWorker, type ToWorker } from './seed-pool.js';

const port = parentPort!;
const abort = new AbortController();
let ctx: Promise<RunContext> | undefined;
const post = (m: FromWorker): void => port.postMessage(m);

port.on('message', (msg: ToWorker) => {
  switch (msg.type) {
    case 'abort':
      abort.abort();
      return;
    case 'init':
      ctx = loadRDKit().then(() => prepareRun(msg.config, msg.outDir, { noCache: msg.noCache }));
      ctx.then(
        () => post({ type: 'ready' }),
        (err: unknown) => post({ type: 'error', error: describe(err) }),
      );
      return;
    case 'seed':
      void ctx!
        .then((c) =>
          runSeed(c, msg.seed, { onEvent: (event) => post({ type: 'event', event }), signal: abort.signal }),
        )
        .then(
          (result) => post({ type: 'result', seed: msg.seed, result }),
          (err: unknown) => post({ type: 'error', error: describe(err) }),
        );
      return;
  }
});
