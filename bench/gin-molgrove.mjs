// One molgrove measurement in its own process (so peak RSS is its own): trains the bench GIN on the
// batches of a file for `--steps` steps after `--warmup`, on the backend MOLGROVE_BACKEND selects,
// and prints JSON { backend, ms_per_step_median, ms_per_step_mean, fwd_ms_median, peak_rss_mb }.
import * as T from '../dist/src/tensor/index.js';
import { Adam } from '../dist/src/tensor/optim/index.js';
import { readBatchesFile } from './gin-batches-file.mjs';
import { createGin } from './gin-model.mjs';

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

const batches = readBatchesFile(arg('batches'));
const steps = Number(arg('steps', '20'));
const warmup = Number(arg('warmup', '3'));
const model = createGin({ seed: 0, fused: !process.argv.includes('--unfused') });
for (const b of batches) b.loops = model.withSelfLoops(b);
const opt = new Adam(model.params, { lr: 1e-3 });

function trainStep(b) {
  return T.tidy(() => {
    opt.zeroGrad();
    const logits = model.forward(b, true);
    const loss = T.bceWithLogits(logits, b.y);
    T.backward(loss);
    opt.step();
    return loss.item();
  });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const times = [];
let lastLoss = Number.NaN;
let poolAtWarm = null;
for (let i = 0; i < warmup + steps; i++) {
  if (i === warmup) poolAtWarm = T.poolStats();
  const b = batches[i % batches.length];
  const t0 = performance.now();
  lastLoss = trainStep(b);
  const dt = performance.now() - t0;
  if (i >= warmup) times.push(dt);
}
const fwd = [];
for (let i = 0; i < Math.min(steps, 10); i++) {
  const b = batches[i % batches.length];
  const t0 = performance.now();
  T.tidy(() => T.noGrad(() => model.forward(b, false).data[0]));
  fwd.push(performance.now() - t0);
}
console.log(
  JSON.stringify({
    backend: T.backendName(),
    fused: !process.argv.includes('--unfused'),
    ms_per_step_median: median(times),
    ms_per_step_mean: times.reduce((a, b) => a + b, 0) / times.length,
    fwd_ms_median: median(fwd),
    steps,
    last_loss: lastLoss,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    // Buffers the pool had to create during the timed steps (batches differ in size, so some growth
    // is expected until the largest batch has been seen).
    fresh_buffers_after_warmup: T.poolStats().freshCount - poolAtWarm.freshCount,
  }),
);
