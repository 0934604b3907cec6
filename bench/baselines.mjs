// The no-pretraining baselines grid: architectures × datasets × splits × seeds through molgrove's
// own fine-tuning (the library, not the CLI), each run in its own folder under --out so the grid
// resumes after an interruption. Prints a Markdown table of test mean ± std (population std over
// seeds) and seconds per epoch; writes the same as JSON with --json-out.
//
//   node bench/baselines.mjs --archs gin,gcn --datasets bbbp,esol --splits scaffold,balanced_scaffold \
//     --seeds 3 --epochs 10 --hidden 128 --layers 3 --out runs/baselines

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveConfig } from '../dist/src/train/config.js';
import { finetune } from '../dist/src/train/finetune.js';

const { values: a } = parseArgs({
  options: {
    archs: { type: 'string', default: 'gin,gcn,sage,gat,dmpnn' },
    datasets: { type: 'string', default: 'bbbp,bace,tox21,sider,clintox,esol,freesolv,lipophilicity' },
    splits: { type: 'string', default: 'scaffold,balanced_scaffold' },
    seeds: { type: 'string', default: '3' },
    epochs: { type: 'string', default: '100' },
    hidden: { type: 'string' },
    layers: { type: 'string' },
    dropout: { type: 'string' },
    features: { type: 'string', default: 'hu' },
    out: { type: 'string', default: 'runs/baselines' },
    'json-out': { type: 'string' },
    // Seeds trained at once (worker threads); default one per core.
    jobs: { type: 'string' },
    // Only tabulate the finished runs under --out (no training).
    report: { type: 'boolean', default: false },
  },
});

const list = (s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
/** Median epoch time over every epoch of every seed (robust to an epoch slowed by a busy machine). */
function medianEpochSeconds(dir, seedResults) {
  const times = seedResults.flatMap((r) =>
    readFileSync(join(dir, `seed-${r.seed}`, 'epochs.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).seconds),
  );
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)];
}

const seeds = Array.from({ length: Number(a.seeds) }, (_, i) => i);
const rows = [];
for (const split of list(a.splits)) {
  for (const dataset of list(a.datasets)) {
    for (const arch of list(a.archs)) {
      // D-MPNN reads float features (chemprop's); the others use the chosen preset.
      const features = arch === 'dmpnn' && a.features === 'hu' ? 'chemprop' : a.features;
      const config = resolveConfig([
        {
          dataset,
          arch,
          features,
          split,
          seeds,
          // Balanced/random scaffold splits vary with the seed (GROVER's folds); scaffold is fixed.
          splitSeeds: split !== 'scaffold',
          epochs: Number(a.epochs),
          ...(a.hidden ? { hidden: Number(a.hidden) } : {}),
          ...(a.layers ? { layers: Number(a.layers) } : {}),
          ...(a.dropout ? { dropout: Number(a.dropout) } : {}),
        },
      ]);
      const dir = join(a.out, split, dataset, arch);
      if (a.report && !existsSync(join(dir, 'results.json'))) continue;
      const t0 = Date.now();
      const s = a.report
        ? JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'))
        : await finetune(config, dir, a.jobs ? { jobs: Number(a.jobs) } : {});
      const row = {
        split,
        dataset,
        arch,
        features,
        metric: s.metric,
        mean: s.test.mean,
        std: s.test.std,
        seeds: s.seeds.length,
        secondsPerEpoch: medianEpochSeconds(dir, s.seeds),
        wallSeconds: (Date.now() - t0) / 1000,
      };
      rows.push(row);
      process.stderr.write(`${JSON.stringify(row)}\n`);
    }
  }
}
const f = (x) => (Number.isNaN(x) ? 'nan' : x.toFixed(3));
process.stdout.write(
  '| split | dataset | metric | arch | test mean ± std | s/epoch (median) |\n|---|---|---|---|---|---|\n',
);
for (const r of rows) {
  process.stdout.write(
    `| ${r.split} | ${r.dataset} | ${r.metric} | ${r.arch} | ${f(r.mean)} ± ${f(r.std)} | ${r.secondsPerEpoch.toFixed(2)} |\n`,
  );
}
if (a['json-out']) writeFileSync(a['json-out'], `${JSON.stringify(rows, null, 2)}\n`);
