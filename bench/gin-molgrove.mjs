// One molgrove measurement in its own process (so peak RSS is its own): trains the bench GIN on the
// batches of a file for `--steps` steps after `--warmup`, on the backend MOLGROVE_BACKEND selects,
// and prints JSON { backend, ms_per_step_median, ms_per_step_mean, fwd_ms_median, peak_rss_mb }.
import { createGin, GraphView } from '../dist/src/models/index.js';
import * as T from '../dist/src/tensor/index.js';
import { readBatchesFile } from './gin-batches-file.mjs';

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

const batches = readBatchesFile(arg('batches'));
const steps = Number(arg('steps', '20'));
const warmup = Number(arg('warmup', '3'));
// molgrove's own GIN (src/models): Hu et al.'s 5×300 with dropout 0.2, as in bench/gin_torch.py.
const unfused = process.argv.includes('--unfused');
const model = createGin({ numTasks: 12, seed: 0, dropout: 0.2, perEdgeMessages: unfused });
const views = batches.map((b) => ({ view: new GraphView(asGraphBatch(b)), y: b.y }));
const opt = new T.Adam(model.parameters(), { lr: 1e-3 });

/** The file's per-batch arrays as the GraphBatch the models read (codes only: the hu preset). */
function asGraphBatch(b) {
  const n = b.numAtoms;
  const m = b.numEdges;
  const atomCodes = new Int32Array(2 * n);
  for (let i = 0; i < n; i++) {
    atomCodes[2 * i] = b.atomType[i];
    atomCodes[2 * i + 1] = b.chirality[i];
  }
  const bondCodes = new Int32Array(2 * m);
  for (let e = 0; e < m; e++) {
    bondCodes[2 * e] = b.bondType[e];
    bondCodes[2 * e + 1] = b.bondDir[e];
  }
  const edgeIndex = new Int32Array(2 * m);
  edgeIndex.set(b.edgeSrc);
  edgeIndex.set(b.edgeDst, m);
  const empty = new Float32Array(0);
  return {
    numGraphs: b.numGraphs,
    numAtoms: n,
    numEdges: m,
    atomDim: 0,
    bondDim: 0,
    atomFeatures: empty,
    bondFeatures: empty,
    edgeIndex,
    revEdge: new Int32Array(m),
    atomCodes,
    bondCodes,
    graphIndex: b.graphIndex,
    atomOffsets: new Int32Array(0),
    edgeOffsets: new Int32Array(0),
  };
}

function trainStep(b) {
  return T.tidy(() => {
    opt.zeroGrad();
    const logits = model.forward(b.view);
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
  const b = views[i % views.length];
  const t0 = performance.now();
  lastLoss = trainStep(b);
  const dt = performance.now() - t0;
  if (i >= warmup) times.push(dt);
}
const fwd = [];
for (let i = 0; i < Math.min(steps, 10); i++) {
  const b = views[i % views.length];
  const t0 = performance.now();
  model.eval();
  T.tidy(() => T.noGrad(() => model.forward(b.view).data[0]));
  model.train();
  fwd.push(performance.now() - t0);
}
console.log(
  JSON.stringify({
    backend: T.backendName(),
    fused: !unfused,
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
