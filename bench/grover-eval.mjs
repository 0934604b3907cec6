// GROVER fine-tuned from a pretrained encoder vs the same architecture from scratch, with
// `--protocol grover` (balanced scaffold, seeds 0, 1, 2 each seeding its split, Noam, dropout 0)
// and the same seeds, on GROVER's own dataset files. Every run has its own folder under --out, so
// the grid resumes; `--arms scratch` or `--arms pretrained` runs one side. Prints test mean ± std
// per arm, the paired mean difference (pretrained − scratch) and the training time per dataset.
//
//   MOLGROVE_DATA_DIR=../shared/data node bench/grover-eval.mjs --from runs/p/pretrained.mgv \
//     [--datasets grover-bbbp,...] [--epochs 30] [--arms scratch,pretrained] [--out runs/grover-eval]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadEncoderFile } from '../dist/src/models/model-file-node.js';
import { resolveConfig } from '../dist/src/train/config.js';
import { finetune } from '../dist/src/train/finetune.js';

const { values: a } = parseArgs({
  options: {
    from: { type: 'string' },
    datasets: {
      type: 'string',
      default:
        'grover-bbbp,grover-bace,grover-clintox,grover-sider,grover-tox21,grover-esol,grover-freesolv,grover-lipo',
    },
    epochs: { type: 'string', default: '30' },
    arms: { type: 'string', default: 'scratch,pretrained' },
    out: { type: 'string', default: 'runs/grover-eval' },
    jobs: { type: 'string' },
    'json-out': { type: 'string' },
  },
});
if (!a.from)
  throw new Error('--from: the pretrained encoder (pretrained.mgv) is needed, also for the scratch arm');
// The scratch arm rebuilds the pretrained encoder's architecture with fresh weights.
const grover = (await loadEncoderFile(a.from)).description.options.grover;
const arms = {
  scratch: { arch: 'grover', hidden: grover.hidden, layers: grover.depth, heads: grover.heads },
  pretrained: { from: a.from },
};
const list = (s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const rows = [];
for (const dataset of list(a.datasets)) {
  const row = { dataset };
  for (const arm of list(a.arms)) {
    const config = resolveConfig([{ protocol: 'grover', dataset, epochs: Number(a.epochs), ...arms[arm] }]);
    const dir = join(a.out, arm, dataset);
    const s = await finetune(config, dir, a.jobs ? { jobs: Number(a.jobs) } : {});
    const seconds = s.seeds.reduce(
      (sum, r) =>
        sum +
        readFileSync(join(dir, `seed-${r.seed}`, 'epochs.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .reduce((t, line) => t + JSON.parse(line).seconds, 0),
      0,
    );
    row.metric = s.metric;
    row[arm] = { mean: s.test.mean, std: s.test.std, tests: s.seeds.map((r) => r.test), seconds };
    process.stderr.write(`${JSON.stringify({ dataset, arm, ...row[arm] })}\n`);
  }
  rows.push(row);
}
const f = (x) => (x === undefined ? '–' : `${x.mean.toFixed(3)} ± ${x.std.toFixed(3)}`);
console.log(
  `GROVER ${grover.hidden}×${grover.depth} (heads ${grover.heads}), --protocol grover, ${a.epochs} epochs, seeds 0–2`,
);
console.log('| dataset | metric | scratch | pretrained | paired diff | train s (scratch / pretrained) |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  const d =
    r.scratch && r.pretrained
      ? r.pretrained.tests.reduce((s, t, i) => s + t - r.scratch.tests[i], 0) / r.scratch.tests.length
      : undefined;
  console.log(
    `| ${r.dataset} | ${r.metric} | ${f(r.scratch)} | ${f(r.pretrained)} | ${d === undefined ? '–' : d.toFixed(3)} | ` +
      `${r.scratch?.seconds.toFixed(0) ?? '–'} / ${r.pretrained?.seconds.toFixed(0) ?? '–'} |`,
  );
}
if (a['json-out']) writeFileSync(a['json-out'], `${JSON.stringify(rows, null, 2)}\n`);
