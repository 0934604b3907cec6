/**
 * `molgrove study`: ablation studies (src/study/). `study plan <file>` (or `--preset sun2022`)
 * prints what a study would run: its axes, the pretrainings (one per distinct pretraining
 * configuration, shared) and fine-tunes (axes × datasets × seeds), how many of them a results
 * store (`--out`) already holds, the runs (a table, or a summary when there are many; `--json`
 * for all) and an estimated time from measured throughput, naming the source of each estimate.
 * Other `study` verbs (run, report) register on the same command (registerStudy's `study`).
 */
import type { Command } from 'commander';
import { estimatePlan, formatDuration, type PlanEstimate, pretrainLabel } from '../study/estimate.js';
import { type PlannedFinetune, planStudy, type StudyPlan } from '../study/plan.js';
import { loadStudy, STUDY_PRESETS } from '../study/presets.js';
import { openIfExists, type ResultStore } from '../study/store.js';
import { printJson, printTable } from './output.js';

interface PlanOptions {
  preset?: string;
  set: string[];
  out?: string;
  json?: boolean;
  all?: boolean;
  calibrate: boolean;
}

/** The `study` command; its subcommands register on what this returns. */
export function registerStudy(program: Command): Command {
  const study = program
    .command('study')
    .description('ablation studies: a grid of pretraining × features × splits × … over datasets and seeds');
  registerStudyPlan(study);
  return study;
}

const collect = (v: string, acc: string[]) => [...acc, v];

export function registerStudyPlan(study: Command): void {
  study
    .command('plan')
    .description('print the runs a study would do, how many are done, and an estimated time')
    .argument('[file]', 'study file (.yaml, .yml or .json)')
    .option('--preset <name>', `built-in study: ${Object.keys(STUDY_PRESETS).join(', ')}`)
    .option(
      '--set <path=value>',
      'override a setting (finetune.epochs=30, seeds=5, axes.split=[scaffold])',
      collect,
      [],
    )
    .option('--out <dir>', 'study folder: count the runs its results store already holds')
    .option('--all', 'list every run even when there are many')
    .option('--no-calibrate', 'estimate from the documented cost table instead of a short measurement')
    .option('--json', 'print the plan as JSON (every run, resolved configs and keys)')
    .action(async (file: string | undefined, opts: PlanOptions) => {
      const s = loadStudy({
        ...(file === undefined ? {} : { file }),
        ...(opts.preset === undefined ? {} : { preset: opts.preset }),
        set: opts.set,
      });
      const plan = planStudy(s);
      const store = opts.out === undefined ? null : await openIfExists(opts.out);
      for (const w of store?.warnings ?? []) process.stderr.write(`study: ${w}\n`);
      const estimate = await estimatePlan(plan, store, { calibrate: opts.calibrate });
      if (opts.json) printJson(planJson(plan, store, estimate));
      else printPlan(plan, store, estimate, opts.all === true);
    });
}

const doneCount = (keys: readonly { key: string }[], store: ResultStore | null) =>
  store ? keys.filter((k) => store.has(k.key)).length : 0;

function planJson(plan: StudyPlan, store: ResultStore | null, estimate: PlanEstimate) {
  const { study } = plan;
  return {
    name: study.name,
    axes: study.axes,
    baseline: study.baseline,
    datasets: study.datasets,
    seeds: study.seeds,
    counts: {
      pretrains: plan.pretrains.length,
      finetunes: plan.finetunes.length,
      pretrainsDone: doneCount(plan.pretrains, store),
      finetunesDone: doneCount(plan.finetunes, store),
    },
    estimate,
    pretrains: plan.pretrains.map((p) => ({ ...p, done: store?.has(p.key) ?? false })),
    finetunes: plan.finetunes.map((f) => ({ ...f, done: store?.has(f.key) ?? false })),
  };
}

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** Fine-tunes listed one per row up to this many (else a summary per axis value). */
const TABLE_LIMIT = 60;

function printPlan(plan: StudyPlan, store: ResultStore | null, estimate: PlanEstimate, all: boolean): void {
  const { study } = plan;
  const w = (line = '') => process.stdout.write(`${line}\n`);
  w(`study ${study.name}${study.description ? `: ${study.description}` : ''}`);
  w(`datasets: ${study.datasets.join(', ')}; seeds: ${study.seeds.join(', ')}`);
  w('axes:');
  const base = study.baseline;
  for (const [name, values] of Object.entries(study.axes))
    w(
      `  ${name}: ${values
        .map(
          (v) => show(v) + (base && base.axis === name && show(base.value) === show(v) ? ' (baseline)' : ''),
        )
        .join(', ')}`,
    );
  const pd = doneCount(plan.pretrains, store);
  const fd = doneCount(plan.finetunes, store);
  w(
    `runs: ${plan.pretrains.length} pretrainings, ${plan.finetunes.length} fine-tunes` +
      (store
        ? ` (done: ${pd}/${plan.pretrains.length} pretrainings, ${fd}/${plan.finetunes.length} fine-tunes)`
        : ''),
  );
  w();
  if (plan.pretrains.length > 0) {
    w('pretrainings:');
    printTable(
      ['key', 'pretraining', 'inputs', 'epochs', 'used by', 'done'],
      plan.pretrains.map((p) => [
        p.key,
        pretrainLabel(p).replace(/^pretrain /, ''),
        p.config.stages.map((s) => s.input).join(' + '),
        p.config.stages.map((s) => s.epochs).join(' + '),
        p.usedBy,
        store?.has(p.key) ? 'yes' : 'no',
      ]),
    );
    w();
  }
  const axes = Object.keys(study.axes);
  if (all || plan.finetunes.length <= TABLE_LIMIT) {
    w('fine-tunes:');
    printTable(
      ['key', 'dataset', 'seed', ...axes, 'pretrain', 'done'],
      plan.finetunes.map((f) => [
        f.key,
        f.dataset,
        f.seed,
        ...axes.map((a) => show(f.axes[a])),
        f.pretrain ?? '-',
        store?.has(f.key) ? 'yes' : 'no',
      ]),
    );
  } else {
    w(`fine-tunes (${plan.finetunes.length}; --all or --json lists each):`);
    printTable(['axis', 'value', 'fine-tunes', 'done'], summaryRows(plan.finetunes, axes, store));
  }
  w();
  const sources = [...new Set(estimate.parts.map((p) => p.source))];
  const how: Record<string, string> = {
    store: 'seconds of finished runs in the results store',
    calibration: `a short calibration run of each distinct model and dataset, ${estimate.calibrationSeconds.toFixed(1)} s`,
    table: 'the per-molecule cost table in src/study/estimate.ts',
  };
  w(
    estimate.parts.length === 0
      ? 'estimated time: nothing left to run'
      : `estimated time: ${formatDuration(estimate.seconds)} on one core, runs one after the other ` +
          `(from ${sources.map((s) => how[s]).join('; ')})`,
  );
}

function summaryRows(
  runs: readonly PlannedFinetune[],
  axes: readonly string[],
  store: ResultStore | null,
): (string | number)[][] {
  const rows: (string | number)[][] = [];
  const count = (pick: (f: PlannedFinetune) => boolean) => {
    const sel = runs.filter(pick);
    return [sel.length, store ? sel.filter((f) => store.has(f.key)).length : 0];
  };
  for (const d of new Set(runs.map((f) => f.dataset)))
    rows.push(['dataset', d, ...count((f) => f.dataset === d)]);
  for (const a of axes) {
    const values = [...new Set(runs.map((f) => show(f.axes[a])))];
    for (const v of values) rows.push([a, v, ...count((f) => show(f.axes[a]) === v)]);
  }
  return rows;
}
