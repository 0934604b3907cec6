// PyTorch side of the GIN training-step benchmark alone (Hu et al. GIN on Tox21, batch 32 and 256),
// until bench/gin.mjs times molgrove beside it.
// Usage: npm run build && node bench/gin-torch-only.mjs [steps=20] [batches=20]
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGinBatches, maxCodes, writeBatchesFile } from './gin-data.mjs';
import { findTorchPython, runTorchAnchor } from './gin-torch-anchor.mjs';

const steps = Number(process.argv[2] ?? 20);
const numBatches = Number(process.argv[3] ?? 20);
const warmup = 3;

const python = findTorchPython();
if (!python) {
  console.log('no Python with torch found (tried /usr/bin/python3, python3, python): nothing to time');
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'molgrove-gin-'));
try {
  const files = {};
  for (const batchSize of [32, 256]) {
    const batches = await loadGinBatches({ batchSize, numBatches, seed: 0 });
    files[batchSize] = writeBatchesFile(batches, join(dir, `tox21-bs${batchSize}.bin`));
    const atoms = batches.reduce((s, b) => s + b.numAtoms, 0) / batches.length;
    const edges = batches.reduce((s, b) => s + b.edgeSrc.length, 0) / batches.length;
    console.log(
      `bs ${batchSize}: ${batches.length} batches, ${atoms.toFixed(0)} atoms and ${edges.toFixed(0)} directed ` +
        `edges per batch on average, max codes ${JSON.stringify(maxCodes(batches))}`,
    );
  }
  console.log(`GIN (Hu et al.: 5 layers, 300-d, dropout 0.2, Adam 1e-3), Tox21 12 tasks; ${python}`);
  const load = () => loadavg()[0].toFixed(2);
  console.log(
    `${cpus().length} cores, load average ${load()} (others' work skews 2-thread runs most); P = OMP_WAIT_POLICY=PASSIVE`,
  );
  console.log(
    'threads  batch  step ms (median)  step ms (mean)  fwd ms (median)  infer ms  peak RSS MB  torch',
  );
  const configs = [
    { threads: 2, ompWaitPolicy: undefined },
    { threads: 2, ompWaitPolicy: 'PASSIVE' },
    { threads: 1, ompWaitPolicy: undefined },
  ];
  for (const { threads, ompWaitPolicy } of configs) {
    for (const batchSize of [32, 256]) {
      const r = runTorchAnchor({
        python,
        batchesFile: files[batchSize],
        batchSize,
        steps,
        warmup,
        threads,
        ompWaitPolicy,
      });
      console.log(
        `${`${threads}${ompWaitPolicy ? ' P' : ''}`.padEnd(7)}  ${String(batchSize).padStart(5)}  ${r.ms_per_step_median.toFixed(1).padStart(16)}  ` +
          `${r.ms_per_step_mean.toFixed(1).padStart(14)}  ${r.fwd_ms_median.toFixed(1).padStart(15)}  ` +
          `${r.infer_ms_median.toFixed(1).padStart(8)}  ${r.peak_rss_mb.toFixed(0).padStart(11)}  ${r.torch_version}  (load ${load()})`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
