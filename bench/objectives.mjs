// Does pretraining help GIN? Each objective pretrains one encoder on the corpus (or a sequence of
// objectives, 'attrmask+supervised'), then every arm — no pretraining ('none') and each objective —
// is fine-tuned on the same datasets, splits and seeds. Prints test mean ± std per arm and the
// paired difference to 'none' over matching seeds, and the pretraining time per objective. Every
// pretraining and fine-tuning run has its own folder under --out: an interrupted grid resumes.
//
//   MOLGROVE_DATA_DIR=../shared/data node bench/objectives.mjs --corpus ../shared/data/pretrain \
//     --objectives attrmask,contextpred,edgepred,infomax,graphcl,motif,grover-context,supervised \
//     --vocab runs/vocab --supervised-input muv --exclude bbbp,bace,tox21,toxcast,sider \
//     --datasets bbbp,bace,tox21,toxcast,sider --splits scaffold,balanced_scaffold --seeds 3 \
//     --hidden 128 --layers 3 --pretrain-epochs 1 --epochs 10 --out runs/objectives
//
// --report tabulates what is finished without training; --no-baseline leaves the 'none' arm to
// another process running the same grid with other objectives (two processes use both cores).

import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveDatasetFile } from '../dist/src/data/fetch.js';
import { getDatasetSpec } from '../dist/src/data/registry.js';
import { pretrainSequence } from '../dist/src/pretrain/sequence.js';
import { prepareShards } from '../dist/src/pretrain/shards.js';
import { DEFAULT_TRAINER_CONFIG, PRETRAIN_PROTOCOLS } from '../dist/src/pretrain/trainer.js';
import { resolveConfig } from '../dist/src/train/config.js';
import { finetune } from '../dist/src/train/finetune.js';

const { values: a } = parseArgs({
  options: {
    corpus: { type: 'string', default: '../shared/data/pretrain' },
    objectives: { type: 'string', default: 'attrmask,contextpred,edgepred,infomax,graphcl,motif' },
    vocab: { type: 'string' },
    'supervised-input': { type: 'string', default: 'muv' },
    exclude: { type: 'string' },
    limit: { type: 'string' },
    datasets: { type: 'string', default: 'bbbp,bace,tox21,toxcast,sider' },
    splits: { type: 'string', default: 'scaffold,balanced_scaffold' },
    seeds: { type: 'string', default: '3' },
    hidden: { type: 'string', default: '300' },
    layers: { type: 'string', default: '5' },
    'pretrain-epochs': { type: 'string', default: '1' },
    'pretrain-batch': { type: 'string', default: '256' },
    epochs: { type: 'string', default: '100' },
    out: { type: 'string', default: 'runs/objectives' },
    jobs: { type: 'string' },
    report: { type: 'boolean', default: false },
    // Leave out the no-pretraining arm (another process of the same grid runs it).
    'no-baseline': { type: 'boolean', default: false },
    'json-out': { type: 'string' },
  },
});

const list = (s) =>
  (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const seeds = Array.from({ length: Number(a.seeds) }, (_, i) => i);
const encoderOptions = {
  ...PRETRAIN_PROTOCOLS.hu2020.encoder,
  dim: Number(a.hidden),
  layers: Number(a.layers),
};

/** Pretrains one arm ('attrmask', or 'attrmask+supervised'); returns its encoder file and seconds. */
async function pretrainArm(arm) {
  const dir = join(a.out, 'pretrain', arm);
  const timesFile = join(dir, 'epoch-seconds.jsonl');
  const stages = [];
  for (const objective of arm.split('+')) {
    const supervised = objective === 'supervised';
    const input = supervised ? await resolveInput(a['supervised-input']) : a.corpus;
    const shardDir = join(a.out, 'shards', supervised ? 'supervised' : 'corpus');
    const index = await prepareShards(input, shardDir, {
      ...(a.limit && !supervised ? { limit: Number(a.limit) } : {}),
      ...(supervised && a.exclude ? { exclude: list(a.exclude) } : {}),
    });
    const objectiveOptions = objective === 'grover-context' ? { vocab: a.vocab } : {};
    stages.push({
      objective,
      objectiveOptions,
      shardDir,
      index,
      config: {
        ...DEFAULT_TRAINER_CONFIG,
        epochs: Number(a['pretrain-epochs']),
        batchSize: Number(a['pretrain-batch']),
        checkpointEvery: 100,
      },
    });
  }
  if (!a.report) {
    const res = await pretrainSequence({
      dir,
      arch: 'gin',
      encoderOptions,
      stages,
      onEvent: (e, stage) => {
        if (e.type === 'epoch')
          appendFileSync(timesFile, `${JSON.stringify({ stage, epoch: e.epoch, seconds: e.seconds })}\n`);
        if (e.type === 'epoch' || e.type === 'done')
          process.stderr.write(`${arm} stage ${stage + 1}: ${e.type} ${JSON.stringify(e.summary ?? e)}\n`);
      },
    });
    if (!res.completed) throw new Error(`${arm}: pretraining stopped`);
  }
  const seconds = existsSync(timesFile)
    ? readFileSync(timesFile, 'utf8')
        .trim()
        .split('\n')
        .reduce((s, l) => s + JSON.parse(l).seconds, 0)
    : Number.NaN;
  return { file: join(dir, 'pretrained.mgv'), seconds };
}

/** A file, or a registry dataset's file. */
async function resolveInput(x) {
  return existsSync(x) ? x : await resolveDatasetFile(getDatasetSpec(x));
}

const objectives = list(a.objectives);
const arms = a['no-baseline'] && !a.report ? objectives : ['none', ...objectives];
const pretrained = {};
for (const arm of objectives) pretrained[arm] = await pretrainArm(arm);

const rows = [];
for (const split of list(a.splits)) {
  for (const dataset of list(a.datasets)) {
    for (const arm of arms) {
      const config = resolveConfig([
        {
          dataset,
          split,
          seeds,
          splitSeeds: split !== 'scaffold',
          epochs: Number(a.epochs),
          dropout: 0.5,
          ...(arm === 'none'
            ? { arch: 'gin', features: 'hu', hidden: Number(a.hidden), layers: Number(a.layers) }
            : { from: pretrained[arm].file }),
        },
      ]);
      const dir = join(a.out, 'finetune', split, dataset, arm);
      if (a.report && !existsSync(join(dir, 'results.json'))) continue;
      const s = a.report
        ? JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'))
        : await finetune(config, dir, a.jobs ? { jobs: Number(a.jobs) } : {});
      const row = { split, dataset, arm, metric: s.metric, tests: s.seeds.map((r) => r.test) };
      rows.push(row);
      process.stderr.write(`${JSON.stringify(row)}\n`);
    }
  }
}

const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
const std = (xs) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
console.log(
  `GIN ${a.hidden}×${a.layers}, basic (Hu) features; pretraining ${a['pretrain-epochs']} epoch(s) ` +
    `on ${a.corpus}${a.limit ? ` (first ${a.limit})` : ''}; fine-tuning ${a.epochs} epochs, seeds ${seeds.join(', ')}`,
);
for (const split of list(a.splits)) {
  console.log(`\n**${split}** — test ROC-AUC mean ± std; Δ = paired mean difference to 'none'\n`);
  const ds = list(a.datasets);
  console.log(`| arm | ${ds.join(' | ')} | mean Δ |`);
  console.log(`|---|${ds.map(() => '---|').join('')}---|`);
  for (const arm of arms) {
    const deltas = [];
    const cells = ds.map((d) => {
      const r = rows.find((x) => x.split === split && x.dataset === d && x.arm === arm);
      const base = rows.find((x) => x.split === split && x.dataset === d && x.arm === 'none');
      if (!r) return '–';
      const cell = `${mean(r.tests).toFixed(3)} ± ${std(r.tests).toFixed(3)}`;
      if (arm === 'none' || !base) return cell;
      const delta = mean(r.tests.map((t, i) => t - base.tests[i]));
      deltas.push(delta);
      return `${cell} (${delta >= 0 ? '+' : ''}${delta.toFixed(3)})`;
    });
    const md = deltas.length ? `${mean(deltas) >= 0 ? '+' : ''}${mean(deltas).toFixed(3)}` : '–';
    console.log(`| ${arm} | ${cells.join(' | ')} | ${md} |`);
  }
}
console.log('\n| objective | pretraining seconds |\n|---|---|');
for (const arm of objectives) console.log(`| ${arm} | ${pretrained[arm].seconds.toFixed(0)} |`);
if (a['json-out']) writeFileSync(a['json-out'], `${JSON.stringify({ rows, pretrained }, null, 2)}\n`);
