// GROVER's GTransformer training step in molgrove and in PyTorch, same batch shapes, same threads,
// one invocation: BBBP's first 32 parseable molecules (or --smiles FILE), the released code's
// configuration (attention across heads, GROVER's padding row, fixed depth, dropout 0); a step =
// forward, loss = sum of the four outputs' means, backward, Adam. Prints the medians and the ratio
// molgrove ÷ PyTorch (< 1 = faster).
//
//   npm run build && MOLGROVE_DATA_DIR=../shared/data node bench/grover.mjs [--hidden 100] [--heads 2]
//     [--depth 3] [--steps 10] [--threads 2] [--attention faithful|fixed]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { findTorchPython } from './gin-torch-anchor.mjs';

const { values: a } = parseArgs({
  options: {
    smiles: { type: 'string' },
    hidden: { type: 'string', default: '100' },
    heads: { type: 'string', default: '2' },
    depth: { type: 'string', default: '3' },
    steps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    threads: { type: 'string', default: '2' },
    attention: { type: 'string', default: 'faithful' },
  },
});
process.env.MOLGROVE_THREADS = a.threads;
const { getFeaturizer } = await import('../dist/src/chem/featurizers/index.js');
const { loadRDKit } = await import('../dist/src/chem/rdkit.js');
const { batchGraphs } = await import('../dist/src/data/batch.js');
const { loadDataset } = await import('../dist/src/data/dataset.js');
const { featurizeSmiles } = await import('../dist/src/data/molgraph.js');
const { GroverEncoder } = await import('../dist/src/models/grover/encoder.js');
const { groverGraph } = await import('../dist/src/models/grover/graph.js');
const T = await import('../dist/src/tensor/index.js');

await loadRDKit();
const tmp = mkdtempSync(join(tmpdir(), 'molgrove-bench-grover-'));
let smilesFile = a.smiles;
const f = getFeaturizer('grover');
const graphs = [];
const smiles = [];
const candidates = smilesFile
  ? readFileSync(smilesFile, 'utf8').split(/\s+/).filter(Boolean)
  : (await loadDataset('bbbp')).smiles;
for (const s of candidates) {
  if (graphs.length === 32 && !smilesFile) break;
  try {
    graphs.push(featurizeSmiles(s, f));
    smiles.push(s);
  } catch {}
}
if (!smilesFile) {
  smilesFile = join(tmp, 'batch.smi');
  writeFileSync(smilesFile, `${smiles.join('\n')}\n`);
}
const g = groverGraph(batchGraphs(graphs));
const options = {
  hidden: Number(a.hidden),
  depth: Number(a.depth),
  heads: Number(a.heads),
  blocks: 1,
  dropout: 0,
  act: 'prelu',
  bias: false,
  attention: a.attention,
  hops: 'fixed',
  padding: a.attention === 'faithful' ? 'grover' : 'none',
};
const model = new GroverEncoder(options, new T.Rng(0));
model.train();
const opt = new T.Adam(model.parameters(), { lr: 1e-4 });
const step = () =>
  T.tidy(() => {
    opt.zeroGrad();
    const o = model.forward(g);
    const loss = T.addN(
      [o.atomFromAtom, o.atomFromBond, o.bondFromAtom, o.bondFromBond].map((t) => T.mean(t)),
    );
    T.backward(loss);
    opt.step();
  });
const times = [];
for (let i = 0; i < Number(a.warmup) + Number(a.steps); i++) {
  const t0 = performance.now();
  step();
  if (i >= Number(a.warmup)) times.push(performance.now() - t0);
}
times.sort((x, y) => x - y);
const mine = times[Math.floor(times.length / 2)];

const python = findTorchPython();
let torch = null;
if (python && a.attention === 'faithful') {
  const script = fileURLToPath(new URL('grover_torch.py', import.meta.url));
  const out = execFileSync(
    python,
    [
      script,
      '--smiles',
      smilesFile,
      '--hidden',
      a.hidden,
      '--heads',
      a.heads,
      '--depth',
      a.depth,
      '--steps',
      a.steps,
      '--warmup',
      a.warmup,
      '--threads',
      a.threads,
      '--json',
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: a.threads, OPENBLAS_NUM_THREADS: a.threads },
    },
  );
  torch = JSON.parse(out.trim().split('\n').pop());
}
rmSync(tmp, { recursive: true, force: true });
console.log(
  `GROVER step, ${graphs.length} molecules (${g.numAtoms} atoms, ${g.numBonds} directed bonds), hidden ${a.hidden}, ` +
    `heads ${a.heads}, depth ${a.depth}, attention ${a.attention}, ${a.threads} threads, median of ${a.steps}`,
);
console.log('| | ms/step |\n|---|---|');
console.log(`| molgrove (${T.backendName()}) | ${mine.toFixed(1)} |`);
if (torch) {
  console.log(`| PyTorch ${torch.torch} | ${torch.median_ms.toFixed(1)} |`);
  console.log(`molgrove ÷ PyTorch: ${(mine / torch.median_ms).toFixed(2)}`);
} else console.log('(no PyTorch anchor: needs python3 with torch, and --attention faithful)');
