// Both cores for fine-tuning: seeds in parallel worker threads (one kernel thread each) versus the
// seeds one after the other on the engine's threads. Runs `molgrove finetune` as whole processes,
// alternating the two settings, and prints the median wall time of each and their ratio.
//
//   MOLGROVE_DATA_DIR=../shared/data node bench/parallel-seeds.mjs [--dataset bbbp] [--arch gin]
//     [--seeds 2] [--epochs 2] [--repeats 3] [--threads 2]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: a } = parseArgs({
  options: {
    dataset: { type: 'string', default: 'bbbp' },
    arch: { type: 'string', default: 'gin' },
    seeds: { type: 'string', default: '2' },
    epochs: { type: 'string', default: '2' },
    repeats: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    hidden: { type: 'string' },
    layers: { type: 'string' },
  },
});
const cli = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'molgrove-parallel-seeds-'));

function run(jobs, k) {
  const out = join(tmp, `run-${jobs}-${k}`);
  const t0 = process.hrtime.bigint();
  const stdout = execFileSync(
    process.execPath,
    [
      cli,
      'finetune',
      '--dataset',
      a.dataset,
      '--arch',
      a.arch,
      '--seeds',
      a.seeds,
      '--epochs',
      a.epochs,
      ...(a.hidden ? ['--hidden', a.hidden] : []),
      ...(a.layers ? ['--layers', a.layers] : []),
      '--out',
      out,
      '--jobs',
      String(jobs),
      '--json',
    ],
    {
      env: { ...process.env, MOLGROVE_THREADS: a.threads },
      stdio: ['ignore', 'pipe', 'ignore'],
      encoding: 'utf8',
    },
  );
  rmSync(out, { recursive: true, force: true });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  // Seconds per epoch of one seed; with J seeds at once, an epoch's worth of work costs 1/J of it.
  const epoch = JSON.parse(stdout).secondsPerEpoch / jobs;
  return { wall, epoch };
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const parallel = Math.min(Number(a.seeds), Number(a.threads));
run(1, 'warm'); // fills the feature cache
const seq = [];
const par = [];
for (let k = 0; k < Number(a.repeats); k++) {
  seq.push(run(1, k));
  par.push(run(parallel, k));
}
rmSync(tmp, { recursive: true, force: true });
const s = median(seq.map((r) => r.wall));
const p = median(par.map((r) => r.wall));
const se = median(seq.map((r) => r.epoch));
const pe = median(par.map((r) => r.epoch));
console.log(
  `${a.dataset} ${a.arch}, ${a.seeds} seeds × ${a.epochs} epochs, ${a.threads} threads, medians of ${a.repeats}`,
);
console.log('| setting | wall s (whole run) | s per seed-epoch (training only) |\n|---|---|---|');
console.log(
  `| seeds in sequence, engine threads ${a.threads} (--jobs 1) | ${s.toFixed(2)} | ${se.toFixed(3)} |`,
);
console.log(
  `| seeds in parallel, ${parallel} workers × 1 thread (--jobs ${parallel}) | ${p.toFixed(2)} | ${pe.toFixed(3)} |`,
);
console.log(`parallel ÷ sequential: wall ${(p / s).toFixed(3)}, per seed-epoch ${(pe / se).toFixed(3)}`);
