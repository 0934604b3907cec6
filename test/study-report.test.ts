/** `study report`: the report model (cells, pairing, tests, Holm across the report), its Markdown and the CLI. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseStudy, type StudyInput } from '../src/study/definition.js';
import { planStudy, type StudyPlan } from '../src/study/plan.js';
import { buildReport, type ComparisonEntry, type StudyReport } from '../src/study/report.js';
import { renderMarkdown } from '../src/study/report-markdown.js';
import { formatP } from '../src/study/stats/index.js';
import { ResultStore } from '../src/study/store.js';
import { runCli } from './helpers/cli.js';
import { recordFinetune } from './helpers/study-results.js';

const tmp = mkdtempSync(join(tmpdir(), 'molgrove-study-report-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const tiny: StudyInput = {
  name: 'tiny',
  description: 'a synthetic study',
  datasets: ['bbbp', 'bace', 'esol'],
  seeds: [0, 1, 2],
  axes: { objective: ['none', 'attrmask', 'motif'], split: ['scaffold', 'random'] },
  finetune: { epochs: 1, hidden: 16, layers: 1 },
  pretrain: { corpus: 'zinc250k-jtvae-test', epochs: 1 },
};

// Baseline scores per dataset and split (seeds 0, 1, 2), and each arm's gain per seed (positive =
// better; esol is RMSE, so its arm score is baseline − gain). null: the run did not finish.
const BASE: Record<string, Record<string, number[]>> = {
  bbbp: { scaffold: [0.7, 0.72, 0.74], random: [0.8, 0.81, 0.85] },
  bace: { scaffold: [0.6, 0.62, 0.64], random: [0.7, 0.7, 0.73] },
  esol: { scaffold: [1.2, 1.0, 1.1], random: [0.9, 0.95, 1.0] },
};
const GAIN: Record<string, Record<string, Record<string, (number | null)[]>>> = {
  attrmask: {
    bbbp: { scaffold: [0.01, 0.02, 0.03], random: [0.02, 0.04, null] },
    bace: { scaffold: [0.03, 0.05, 0.04], random: [0, 0.02, 0.01] },
    esol: { scaffold: [0.1, 0, 0.05], random: [0.01, 0.03, 0.02] },
  },
  motif: {
    bbbp: { scaffold: [0.1, 0.101, 0.099], random: [0, 0.01, -0.01] },
    bace: { scaffold: [0.02, 0, 0.01], random: [0.01, 0, 0.02] },
    esol: { scaffold: [-0.5, -0.51, -0.49], random: [null, null, null] },
  },
};

function score(dataset: string, objective: string, split: string, seed: number): number | null {
  const base = BASE[dataset]![split]![seed]!;
  if (objective === 'none') return base;
  const g = GAIN[objective]![dataset]![split]![seed]!;
  if (g === null) return null;
  return dataset === 'esol' ? base - g : base + g;
}

/** A study folder with study.json and the synthetic results (attrmask's pretraining, not motif's). */
async function makeFolder(
  name: string,
  studyJson: unknown = tiny,
): Promise<{ dir: string; plan: StudyPlan }> {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'study.json'), JSON.stringify(studyJson));
  const plan = planStudy(parseStudy(tiny));
  const store = await ResultStore.open(dir);
  for (const f of plan.finetunes) {
    const test = score(f.dataset, f.axes['objective'] as string, f.axes['split'] as string, f.seed);
    if (test === null) continue;
    await recordFinetune(store, f, test);
  }
  const attrmask = plan.pretrains.find((p) => p.config.stages[0]!.objective === 'attrmask')!;
  await store.record({
    key: attrmask.key,
    kind: 'pretrain',
    config: attrmask.config,
    metrics: { finalTrainLoss: 0.5 },
    seconds: 2,
    info: { dir: `runs/${attrmask.key}` },
  });
  // A result of another version of the study: counted, not reported.
  await store.record({
    key: 'f0f0f0f0f0f0f0f0',
    kind: 'finetune',
    config: {},
    metrics: { test: 1 },
    seconds: 1,
  });
  return { dir, plan };
}

const close = (a: number, b: number, tol = 1e-9) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} is not within ${tol} of ${b}`);

/** Holm's step-down adjustment, written out independently (NaN p-values left out of the family). */
function holmByHand(ps: readonly number[]): number[] {
  const order = ps.map((_, i) => i).filter((i) => Number.isFinite(ps[i]));
  order.sort((a, b) => ps[a]! - ps[b]!);
  const out = ps.map(() => Number.NaN);
  let running = 0;
  order.forEach((i, r) => {
    running = Math.max(running, (order.length - r) * ps[i]!);
    out[i] = Math.min(1, running);
  });
  return out;
}

const find = (r: StudyReport, dataset: string, arm: string, split: string): ComparisonEntry =>
  r.comparisons.find((c) => c.dataset === dataset && c.arm === arm && c.group['split'] === split)!;

let folder: { dir: string; plan: StudyPlan };
let results: ReturnType<ResultStore['results']>;
before(async () => {
  folder = await makeFolder('s1');
  results = (await ResultStore.open(folder.dir)).results();
});

describe('study report model', () => {
  test('counts, progress line, foreign results', () => {
    const r = buildReport(folder.plan, results);
    assert.equal(r.counts.finetunes, 54);
    assert.equal(r.counts.finetunesDone, 50);
    assert.equal(r.counts.pretrainsDone, 1);
    assert.equal(r.counts.foreignResults, 1);
    assert.equal(r.progress, '50 of 54 fine-tunes finished; 1 of 2 pretrainings finished');
    assert.match(r.warnings.join('\n'), /1 result is in the store but not in this study's plan/);
    assert.equal(r.rowAxis, 'objective');
    assert.deepEqual(
      r.tables.map((t) => t.title),
      ['split = scaffold', 'split = random'],
    );
  });

  test('cells: mean ± population std over seeds; partial and missing cells', () => {
    const r = buildReport(folder.plan, results);
    const cell = (dataset: string, objective: string, split: string) =>
      r.cells.find(
        (c) => c.dataset === dataset && c.axes['objective'] === objective && c.axes['split'] === split,
      )!;
    const base = cell('bbbp', 'none', 'scaffold');
    close(base.mean, 0.72);
    close(base.std, Math.sqrt(0.0008 / 3)); // deviations −0.02, 0, +0.02
    assert.equal(base.metric, 'roc-auc');
    const am = cell('bbbp', 'attrmask', 'scaffold'); // 0.71, 0.74, 0.77
    close(am.mean, 0.74);
    close(am.std, Math.sqrt(0.0018 / 3));
    const motifEsol = cell('esol', 'motif', 'scaffold'); // 1.7, 1.51, 1.59
    close(motifEsol.mean, 1.6);
    close(motifEsol.std, Math.sqrt((0.01 + 0.0081 + 0.0001) / 3));
    assert.equal(motifEsol.higherIsBetter, false);
    const partial = cell('bbbp', 'attrmask', 'random'); // seeds 0, 1: 0.82, 0.85
    assert.equal(partial.n, 2);
    assert.equal(partial.planned, 3);
    close(partial.mean, 0.835);
    assert.deepEqual(
      partial.missing.map((m) => m.seed),
      [2],
    );
    const missing = cell('esol', 'motif', 'random');
    assert.equal(missing.n, 0);
    assert.ok(Number.isNaN(missing.mean));
  });

  test('comparisons: paired by seed within a table, gains oriented, t p by hand, CI', () => {
    const r = buildReport(folder.plan, results, { test: 't' });
    assert.equal(r.comparisons.length, 12); // 3 datasets × 2 arms × 2 splits
    const c = find(r, 'bbbp', 'attrmask', 'scaffold');
    assert.deepEqual(
      c.pairs.map((p) => p.seed),
      [0, 1, 2],
    );
    c.pairs.forEach((p, i) => {
      close(p.baseline, BASE['bbbp']!['scaffold']![i]!);
      close(p.gain, [0.01, 0.02, 0.03][i]!);
    });
    close(c.meanGain, 0.02);
    // Gains 0.01, 0.02, 0.03: t = 0.02 / (0.01/√3) = 2√3 with 2 df; two-sided p = 1 − t/√(t² + 2).
    const t = 2 * Math.sqrt(3);
    close(c.tP, 1 - t / Math.sqrt(t * t + 2), 1e-9);
    assert.ok(c.ci.low >= 0.01 - 1e-12 && c.ci.high <= 0.03 + 1e-12 && c.ci.low < 0.02 && c.ci.high > 0.02);
    assert.equal(c.ci.confidence, 0.95);
    // RMSE: lower is better, the gain is baseline − arm.
    const esol = find(r, 'esol', 'motif', 'scaffold');
    assert.equal(esol.direction, 'lower');
    close(esol.meanGain, -0.5);
    // Unfinished arm seeds are unpaired, not errors.
    const partial = find(r, 'bbbp', 'attrmask', 'random');
    assert.equal(partial.n, 2);
    assert.deepEqual(partial.missingInArm, [2]);
    close(partial.meanGain, 0.03);
    const none = find(r, 'esol', 'motif', 'random');
    assert.equal(none.n, 0);
    assert.equal(none.verdict, 'not testable: no pairs');
  });

  test('Holm runs across every comparison of the report, not per table', () => {
    const r = buildReport(folder.plan, results, { test: 't' });
    assert.equal(r.familySize, 11); // esol/motif/random has no pairs: no p
    const expected = holmByHand(r.comparisons.map((c) => c.tP));
    r.comparisons.forEach((c, i) => {
      if (Number.isNaN(expected[i]!)) assert.ok(Number.isNaN(c.pHolm));
      else close(c.pHolm, expected[i]!, 1e-12);
    });
    // Per table (6 and 5 comparisons) the adjustment would be smaller for some comparison.
    const scaffold = r.comparisons.filter((c) => c.table === 0);
    const perTable = holmByHand(scaffold.map((c) => c.tP));
    assert.ok(scaffold.some((c, i) => c.pHolm > perTable[i]! + 1e-12));
    // The smallest p is multiplied by the whole family's size.
    const smallest = r.comparisons.reduce((a, b) => (b.tP < a.tP ? b : a));
    close(smallest.pHolm, Math.min(1, 11 * smallest.tP), 1e-15);
  });

  test('verdicts spelled out; significant gains and losses marked', () => {
    const t = buildReport(folder.plan, results, { test: 't' });
    const gain = find(t, 'bbbp', 'motif', 'scaffold');
    assert.ok(gain.significant);
    // On the tables' scale: ROC-AUC ×100 with one decimal, RMSE raw with three.
    assert.equal(
      gain.verdict,
      `significant at α = 0.05 (Holm-adjusted paired t p = ${formatP(gain.pHolm)}); mean gain +10.0`,
    );
    const loss = find(t, 'esol', 'motif', 'scaffold');
    assert.ok(loss.significant);
    assert.match(loss.verdict, /^significant at α = 0\.05 .*; mean gain -0\.500$/);
    const weak = find(t, 'bbbp', 'attrmask', 'scaffold');
    assert.equal(
      weak.verdict,
      `not significant at α = 0.05 (Holm-adjusted paired t p = ${formatP(weak.pHolm)}); mean gain +2.0`,
    );
    const scaffold = t.tables[0]!;
    const motifRow = scaffold.rows.find((row) => row.value === 'motif')!;
    assert.deepEqual(
      motifRow.cells.map((c) => c.mark),
      ['gain', null, 'loss'],
    );
    // Wilcoxon (default) with 3 seeds can never reach 0.05: said so, nothing marked.
    const w = buildReport(folder.plan, results);
    assert.equal(w.test, 'wilcoxon');
    assert.equal(
      find(w, 'bbbp', 'motif', 'scaffold').verdict,
      'not testable: 3 pairs, the smallest possible Wilcoxon p is 0.25',
    );
    assert.equal(
      find(w, 'bbbp', 'attrmask', 'random').verdict,
      'not testable: 2 pairs, the smallest possible Wilcoxon p is 0.5',
    );
    assert.ok(w.tables.every((tb) => tb.rows.every((row) => row.cells.every((c) => c.mark === null))));
  });

  test('average gain per row and metric (Sun et al.); curve files from the run folders', () => {
    const r = buildReport(folder.plan, results);
    const row = r.tables[0]!.rows.find((x) => x.value === 'attrmask')!;
    const auc = row.averageGains.find((g) => g.metric === 'roc-auc')!;
    close(auc.meanGain, 0.03); // bbbp +0.02, bace +0.04
    close(auc.stdGain, Math.sqrt(0.0002));
    const rmse = row.averageGains.find((g) => g.metric === 'rmse')!;
    close(rmse.meanGain, 0.05);
    assert.deepEqual(r.tables[0]!.rows[0]!.averageGains, []); // the baseline row
    const run = r.runs.find((x) => x.done)!;
    assert.equal(run.epochsFile, `runs/${run.key}/seed-${run.seed}/epochs.jsonl`);
    const pre = r.pretrains.find((p) => p.done)!;
    assert.deepEqual(pre.lossFiles, [
      { objective: 'attrmask', file: `runs/${pre.key}/stage-1-attrmask/loss.jsonl` },
    ]);
    assert.equal(r.pretrains.find((p) => !p.done)!.lossFiles, null);
  });
});

describe('study report Markdown', () => {
  test('the papers’ layout: rows = objectives, columns = datasets, "–" for missing runs', () => {
    const md = renderMarkdown(buildReport(folder.plan, results, { test: 't' }));
    const lines = md.split('\n');
    assert.equal(lines[0], '# Study tiny');
    assert.ok(lines.includes('**50 of 54 fine-tunes finished; 1 of 2 pretrainings finished.**'));
    const scaffold = lines.indexOf('## split = scaffold');
    assert.deepEqual(lines.slice(scaffold + 2, scaffold + 7), [
      '| objective | bbbp (ROC-AUC) | bace (ROC-AUC) | esol (RMSE) | average gain |',
      '| --- | --- | --- | --- | --- |',
      '| none (baseline) | 72.0 ± 1.6 | 62.0 ± 1.6 | 1.100 ± 0.082 | – |',
      '| attrmask | 74.0 ± 2.4 (+2.0) | 66.0 ± 2.2 (+4.0) | 1.050 ± 0.041 (+0.050) | +3.0 ± 1.4 ROC-AUC; +0.050 RMSE |',
      `| motif | 82.0 ± 1.6 (+10.0) ▲ | 63.0 ± 1.4 (+1.0) | 1.600 ± 0.078 (-0.500) ▼ | +5.5 ± 6.4 ROC-AUC; -0.500 RMSE |`,
    ]);
    const random = lines.indexOf('## split = random');
    assert.equal(
      lines[random + 5],
      '| attrmask | 83.5 ± 1.5 (+3.0) [2/3] | 72.0 ± 1.6 (+1.0) | 0.930 ± 0.037 (+0.020) | +2.0 ± 1.4 ROC-AUC; +0.020 RMSE |',
    );
    assert.match(lines[random + 6]!, /^\| motif \| .* \| – \| \+0\.5 ± 0\.7 ROC-AUC; – \|$/);
    assert.match(
      md,
      /▲ \/ ▼: significant gain \/ loss at α = 0\.05 \(paired t-test, Holm-adjusted over the 11 testable comparisons/,
    );
    assert.match(
      md,
      /\| motif \| esol \| 0 \(3 unpaired\) \| – \| – \| – \| – \| – \| not testable: no pairs \|/,
    );
    assert.match(md, /> warning: 1 result is in the store/);
  });
});

describe('study report CLI', () => {
  test('writes report.md and report.json, prints the Markdown', async () => {
    const run = await runCli(['study', 'report', folder.dir]);
    assert.equal(run.code, 0, run.err);
    const md = readFileSync(join(folder.dir, 'report.md'), 'utf8');
    assert.equal(run.out, md);
    assert.match(md, /50 of 54 fine-tunes finished/);
    const json = JSON.parse(readFileSync(join(folder.dir, 'report.json'), 'utf8')) as StudyReport;
    assert.equal(json.format, 'molgrove-study-report');
    assert.equal(json.comparisons.length, 12);
    assert.equal(json.runs.length, 54);
    assert.equal(json.test, 'wilcoxon');
  });

  test('--json --test t --alpha: the model; a resolved study.json loads too', async () => {
    const { dir } = await makeFolder('s2', { ...parseStudy(tiny), baseDir: '/elsewhere' });
    const run = await runCli(['study', 'report', dir, '--json', '--test', 't', '--alpha', '0.01']);
    assert.equal(run.code, 0, run.err);
    const r = JSON.parse(run.out) as StudyReport;
    assert.equal(r.test, 't');
    assert.equal(r.alpha, 0.01);
    assert.equal(r.familySize, 11);
    assert.equal(r.counts.finetunesDone, 50);
  });

  test('bad options and a folder without a study: clear errors, no crash', async () => {
    const bad = await runCli(['study', 'report', folder.dir, '--test', 'anova']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /--test must be wilcoxon or t, got 'anova'/);
    const alpha = await runCli(['study', 'report', folder.dir, '--alpha', '2']);
    assert.match(alpha.err, /--alpha must be a number in \(0, 1\)/);
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    const none = await runCli(['study', 'report', empty]);
    assert.notEqual(none.code, 0);
    assert.match(none.err, /holds no study definition \(study\.json, study\.yaml or study\.yml\)/);
    // A study with no results yet: every cell "–".
    writeFileSync(join(empty, 'study.json'), JSON.stringify(tiny));
    const fresh = await runCli(['study', 'report', empty]);
    assert.equal(fresh.code, 0, fresh.err);
    assert.match(fresh.out, /0 of 54 fine-tunes finished; 0 of 2 pretrainings finished/);
    assert.match(fresh.out, /\| none \(baseline\) \| – \| – \| – \| – \|/);
  });
});
