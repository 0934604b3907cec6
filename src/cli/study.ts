/**
 * `molgrove study`: ablation studies (src/study/). `study plan <file>` (or `--preset sun2022`)
 * prints what a study would run: its axes, the pretrainings (one per distinct pretraining
 * configuration, shared) and fine-tunes (axes × datasets × seeds), how many of them a results
 * store (`--out`) already holds, the runs (a table, or a summary when there are many; `--json`
 * for all) and an estimated time from measured throughput, naming the source of each estimate.
 * `study run <file> --out <dir>` runs (or resumes) it with the local runner (study/runner.ts):
 * progress lines on stderr; exit 0 when every run is done, 130 after a clean stop on Ctrl-C (twice:
 * at once), 1 when runs failed. `out/study.json` keeps the study and its plan; a folder holding a
 * study of another name is refused (the same name with a changed grid reuses the shared runs).
 * Other `study` verbs (report) register on the same command (registerStudy's `study`).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, MolgroveError } from '../errors.js';
import { estimatePlan, formatDuration, type PlanEstimate, pretrainLabel } from '../study/estimate.js';
import { type PlannedFinetune, planStudy, type StudyPlan } from '../study/plan.js';
import { loadStudy, STUDY_PRESETS } from '../study/presets.js';
import { runStudyOnQueue } from '../study/queue-runner.js';
import {
  buildReport,
  loadStudyFile,
  REPORT_JSON_FILE,
  REPORT_MARKDOWN_FILE,
  studyFileIn,
  writeReport,
} from '../study/report.js';
import { renderMarkdown } from '../study/report-markdown.js';
import { claimStudyFolder, DEFAULT_JOBS, runStudy, type StudyEvent } from '../study/runner.js';
import { openIfExists, type ResultStore } from '../study/store.js';
import { runWithInterrupt } from './interrupt.js';
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
  registerStudyRun(study);
  registerStudyReport(study);
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

interface ReportOptions {
  alpha: string;
  test: string;
  json?: boolean;
  study?: string;
  preset?: string;
  set: string[];
  html: boolean;
}

/**
 * `study report <dir>`: the tables, comparisons and verdicts of a study folder's results so far;
 * writes report.md, report.json and report.html (tables and plots, self-contained; --no-html skips
 * it) there and prints the Markdown (or the JSON model).
 */
export function registerStudyReport(study: Command): void {
  study
    .command('report')
    .description('tables (mean ± std, gain over the baseline), paired tests with Holm correction, verdicts')
    .argument('<dir>', 'study folder (results.jsonl and the study definition, study.json or study.yaml)')
    .option('--alpha <a>', 'family-wise significance level', '0.05')
    .option('--test <name>', 'test deciding the verdicts: wilcoxon (signed-rank) or t (paired t)', 'wilcoxon')
    .option('--study <file>', 'study file, when the folder has none of its own')
    .option(
      '--preset <name>',
      `built-in study, when the folder has no study file: ${Object.keys(STUDY_PRESETS).join(', ')}`,
    )
    .option(
      '--set <path=value>',
      'override a setting as the study was run with (see study plan)',
      collect,
      [],
    )
    .option('--json', 'print the report model (report.json) instead of the Markdown')
    .option('--no-html', 'skip report.html (its plots read every run’s curve files)')
    .action(async (dir: string, opts: ReportOptions) => {
      const alpha = Number(opts.alpha);
      if (!(alpha > 0 && alpha < 1))
        throw new ConfigError(`--alpha must be a number in (0, 1), got '${opts.alpha}'`);
      const test = opts.test.trim().toLowerCase();
      if (test !== 'wilcoxon' && test !== 't')
        throw new ConfigError(`--test must be wilcoxon or t, got '${opts.test}'`);
      if (!existsSync(dir)) throw new ConfigError(`no study folder ${dir}`);
      const file = opts.study ?? (opts.preset === undefined ? studyFileIn(dir) : undefined) ?? undefined;
      if (file === undefined && opts.preset === undefined)
        throw new ConfigError(
          `${dir} holds no study definition (study.json, study.yaml or study.yml); give --study <file> or --preset <name>`,
        );
      const plan = planStudy(
        file !== undefined && opts.preset === undefined
          ? loadStudyFile(file, opts.set)
          : loadStudy({
              ...(file === undefined ? {} : { file }),
              ...(opts.preset === undefined ? {} : { preset: opts.preset }),
              set: opts.set,
            }),
      );
      const store = await openIfExists(dir);
      const report = buildReport(plan, store?.results() ?? [], {
        alpha,
        test,
        dir: resolve(dir),
        warnings: store?.warnings ?? [],
      });
      const markdown = renderMarkdown(report);
      await writeReport(dir, report, markdown);
      const written = [join(dir, REPORT_MARKDOWN_FILE), join(dir, REPORT_JSON_FILE)];
      if (opts.html) {
        // Loaded here: vega is only needed by this command.
        const { buildHtmlReport, writeHtmlReport } = await import('../study/report-html.js');
        written.push(await writeHtmlReport(dir, await buildHtmlReport(resolve(dir), report)));
      }
      if (opts.json) printJson(report);
      else process.stdout.write(markdown);
      process.stderr.write(`study: wrote ${written.join(', ')}\n`);
    });
}

interface RunOptions {
  preset?: string;
  set: string[];
  out: string;
  jobs?: string;
  queue?: string;
}

export function registerStudyRun(study: Command): void {
  study
    .command('run')
    .description('run (or resume) a study: pretrainings, then fine-tunes, each result recorded once')
    .argument('[file]', 'study file (.yaml, .yml or .json)')
    .requiredOption('--out <dir>', 'study folder: results store, run folders, study.json')
    .option('--preset <name>', `built-in study: ${Object.keys(STUDY_PRESETS).join(', ')}`)
    .option('--set <path=value>', 'override a setting (finetune.epochs=30, seeds=5)', collect, [])
    .option(
      '--jobs <n>',
      `fine-tunes at once, each in a worker thread; 1: one at a time with the engine's threads (default ${DEFAULT_JOBS()})`,
    )
    .option(
      '--queue <url>',
      'distribute: put the runs on a Redis queue (redis://host:port) for `molgrove worker`s and record their results; --out must be a folder every worker reaches',
    )
    .action(async (file: string | undefined, opts: RunOptions) => {
      const jobs = opts.jobs === undefined ? undefined : Number(opts.jobs);
      if (jobs !== undefined && !(Number.isInteger(jobs) && jobs >= 1))
        throw new ConfigError(`--jobs must be an integer ≥ 1, got '${opts.jobs}'`);
      if (jobs !== undefined && opts.queue !== undefined)
        throw new ConfigError(
          '--jobs is for the local runner; with --queue, each `molgrove worker` takes --jobs',
        );
      const s = loadStudy({
        ...(file === undefined ? {} : { file }),
        ...(opts.preset === undefined ? {} : { preset: opts.preset }),
        set: opts.set,
      });
      const plan = planStudy(s);
      await claimStudyFolder(opts.out, plan);
      const outcome = await runWithInterrupt(
        'study: stopping: running fine-tunes finish their epoch and checkpoint',
        (signal) => {
          const common = { out: opts.out, signal, onEvent: (e: StudyEvent) => renderStudyEvent(s.name, e) };
          return opts.queue === undefined
            ? runStudy(plan, { ...common, ...(jobs === undefined ? {} : { jobs }) })
            : runStudyOnQueue(plan, { ...common, queue: opts.queue });
        },
      );
      for (const w of outcome.store.warnings) process.stderr.write(`study: ${w}\n`);
      if (outcome.interrupted)
        throw new MolgroveError(
          'INTERRUPTED',
          opts.queue === undefined
            ? `study ${s.name}: stopped cleanly; rerun the same command to resume`
            : `study ${s.name}: stopped; queued runs stay with the workers, rerun the same command to collect their results`,
        );
      if (outcome.failed.length > 0)
        throw new Error(
          `study ${s.name}: ${outcome.failed.length} run(s) failed (rerun to retry them): ` +
            outcome.failed.map((f) => `${f.kind} ${f.key}: ${f.error}`).join('; '),
        );
      process.stderr.write(
        `study ${s.name}: all ${plan.pretrains.length + plan.finetunes.length} runs done ` +
          `(${outcome.recorded} now, ${outcome.skipped} before); results in ${outcome.store.resultsPath}\n`,
      );
    });
}

const fmtScore = (v: unknown) => (typeof v === 'number' ? v.toFixed(4) : String(v));

/** One stderr line per run started, finished or failed, and per pretraining epoch. */
export function renderStudyEvent(name: string, e: StudyEvent): void {
  const out = (line: string) => process.stderr.write(`${line}\n`);
  const at = (c: { done: number; total: number }) => `[${c.done}/${c.total}]`;
  switch (e.type) {
    case 'plan':
      out(
        `study ${name}: ${e.pretrains.total} pretrainings (${e.pretrains.done} done), ` +
          `${e.finetunes.total} fine-tunes (${e.finetunes.done} done); ` +
          (e.mode === 'workers'
            ? `${e.jobs} fine-tunes at once in worker threads`
            : e.mode === 'queue'
              ? 'runs go to the queue for `molgrove worker`s'
              : "fine-tunes one at a time with the engine's threads"),
      );
      return;
    case 'started':
      out(
        `${at(e)} ${e.kind} ${e.label} (${e.key})` +
          (e.resumedAfter > 0 ? `: resuming after ${formatDuration(e.resumedAfter)}` : ''),
      );
      return;
    case 'progress':
      if (e.kind === 'pretrain')
        out(
          `  pretrain ${e.key} stage ${e.stage ?? 1} epoch ${e.epoch}: ` +
            `train loss ${fmtScore(e.trainLoss)}, valid loss ${fmtScore(e.validLoss)}`,
        );
      return;
    case 'finished': {
      const m = e.metrics;
      const what =
        e.kind === 'finetune'
          ? `test ${m['metric']} ${fmtScore(m['test'])} (valid ${fmtScore(m['valid'])})`
          : `final loss ${fmtScore(m['finalTrainLoss'])} (valid ${fmtScore(m['finalValidLoss'])})`;
      const eta = e.etaSeconds === null ? '' : `; ETA ${formatDuration(e.etaSeconds)}`;
      out(`${at(e)} done ${e.kind} ${e.label}: ${what}, ${formatDuration(e.seconds)}${eta}`);
      return;
    }
    case 'failed':
      out(`${at(e)} FAILED ${e.kind} ${e.label} (${e.key}): ${e.error}`);
      return;
    case 'interrupted':
      out(`study ${name}: interrupted with ${e.done}/${e.total} runs recorded`);
      return;
    case 'queued':
      out(`queued ${e.kind} ${e.label} (${e.key})`);
      return;
    case 'skipped':
      return;
  }
}
