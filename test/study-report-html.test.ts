/** report.html: the plots' data rows, the self-contained page, and that headless Chromium renders it cleanly. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { parseStudy, type StudyInput } from '../src/study/definition.js';
import { planStudy, type StudyPlan } from '../src/study/plan.js';
import { buildReport, type StudyReport } from '../src/study/report.js';
import { loadCurves, readJsonLines } from '../src/study/report-curves.js';
import { buildHtmlReport, escapeHtml, renderHtml, renderPlots } from '../src/study/report-html.js';
import {
  curveRows,
  effectPlots,
  effectRows,
  gainPlot,
  gainRows,
  learningPlot,
  lossRows,
  pretrainLossPlot,
  reportPlots,
} from '../src/study/report-plots.js';
import { cellText, GAIN_MARK, LOSS_MARK } from '../src/study/report-text.js';
import { ResultStore } from '../src/study/store.js';
import { runCli } from './helpers/cli.js';
import { recordFinetune } from './helpers/study-results.js';

const tmp = mkdtempSync(join(tmpdir(), 'molgrove-study-html-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const HOSTILE = '<script>alert("x")</script> & <b>';

const small: StudyInput = {
  name: 'small',
  description: `synthetic ${HOSTILE}`,
  datasets: ['bbbp', 'esol'],
  seeds: [0, 1, 2],
  axes: { objective: ['none', 'attrmask'], split: ['scaffold', 'random'] },
  finetune: { epochs: 3, hidden: 16, layers: 1 },
  pretrain: { corpus: 'zinc250k-jtvae-test', epochs: 1 },
};

// Test score of each run: a base per dataset, + 0.01·seed, + 0.05 for attrmask on scaffold (bbbp:
// higher is better; esol is RMSE: −0.1 for attrmask there), + 0.02 on random splits.
function testScore(dataset: string, objective: string, split: string, seed: number): number {
  const base = dataset === 'bbbp' ? 0.7 : 1.0;
  const arm = objective === 'attrmask' ? (dataset === 'bbbp' ? 0.05 : -0.1) : 0;
  return base + 0.01 * seed + (split === 'random' ? 0.02 : 0) + (split === 'scaffold' ? arm : 0);
}

/** Validation score at an epoch: rises by 0.1 a step from the test score − 0.2. */
const validAt = (test: number, epoch: number) => test - 0.2 + 0.1 * epoch;

/** A study folder: study.json, every fine-tune recorded with its epochs.jsonl, attrmask's pretraining with loss.jsonl. */
async function makeFolder(name: string): Promise<{ dir: string; plan: StudyPlan }> {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'study.json'), JSON.stringify(small));
  const plan = planStudy(parseStudy(small));
  const store = await ResultStore.open(dir);
  for (const f of plan.finetunes) {
    const test = testScore(f.dataset, f.axes['objective'] as string, f.axes['split'] as string, f.seed);
    const seedDir = join(dir, 'runs', f.key, `seed-${f.seed}`);
    mkdirSync(seedDir, { recursive: true });
    const epochs = [0, 1, 2].map((epoch) =>
      JSON.stringify({ epoch, trainLoss: 1, valid: validAt(test, epoch) }),
    );
    // A blank line and a torn last line (a run still writing): skipped.
    writeFileSync(join(seedDir, 'epochs.jsonl'), `${epochs.join('\n')}\n\n{"epoch":3,"va`);
    await recordFinetune(store, f, test);
  }
  const pre = plan.pretrains[0]!;
  const stage = join(dir, 'runs', pre.key, 'stage-1-attrmask');
  mkdirSync(stage, { recursive: true });
  const loss = [
    { kind: 'train', epoch: 0, step: 10, total: 2.5 },
    { kind: 'train', epoch: 0, step: 20, total: 2.0 },
    { kind: 'valid', epoch: 0, step: 20, total: 2.2 },
  ];
  writeFileSync(join(stage, 'loss.jsonl'), `${loss.map((l) => JSON.stringify(l)).join('\n')}\nnot json\n`);
  await store.record({
    key: pre.key,
    kind: 'pretrain',
    config: pre.config,
    metrics: {},
    seconds: 2,
    info: { dir: `runs/${pre.key}` },
  });
  return { dir, plan };
}

const close = (a: number | null, b: number, tol = 1e-9) =>
  assert.ok(a !== null && Math.abs(a - b) <= tol, `${a} is not within ${tol} of ${b}`);

let folder: { dir: string; plan: StudyPlan };
let report: StudyReport;
before(async () => {
  folder = await makeFolder('s1');
  const results = (await ResultStore.open(folder.dir)).results();
  report = buildReport(folder.plan, results, { test: 't', dir: folder.dir, bootstrap: { resamples: 500 } });
});

describe('study report plots: data rows', () => {
  test('gains: mean gain and CI bounds of each comparison, on the tables’ scale', () => {
    const rows = gainRows(report);
    assert.equal(rows.length, report.comparisons.length); // 2 datasets × 1 arm × 2 splits
    assert.equal(rows.length, 4);
    for (const c of report.comparisons) {
      const row = rows.find(
        (r) => r.dataset === c.dataset && r.panel === report.tables[c.table]!.title && r.arm === 'attrmask',
      )!;
      const scale = c.metric === 'roc-auc' ? 100 : 1;
      close(row.gain, c.meanGain * scale);
      close(row.low, c.ci.low * scale);
      close(row.high, c.ci.high * scale);
    }
    const bbbp = rows.find((r) => r.dataset === 'bbbp' && r.panel === 'split = scaffold')!;
    close(bbbp.gain, 5); // +0.05 ROC-AUC, ×100
    assert.equal(bbbp.metric, 'ROC-AUC');
    const esol = rows.find((r) => r.dataset === 'esol' && r.panel === 'split = scaffold')!;
    close(esol.gain, 0.1); // RMSE 0.1 lower = +0.1 gain, not scaled
    // Every seed gains exactly the same: the bootstrap CI is that point.
    close(esol.low, 0.1);
    close(esol.high, 0.1);
    const random = rows.find((r) => r.dataset === 'bbbp' && r.panel === 'split = random')!;
    close(random.gain, 0, 1e-9);
    const plot = gainPlot(report);
    assert.equal(plot.skipped, null);
    assert.deepEqual((plot.spec!['data'] as { values: unknown }).values, rows);
  });

  test('effect of split: mean test score per dataset, split value and arm', () => {
    const rows = effectRows(report, 'split');
    assert.equal(rows.length, 8); // 2 datasets × 2 splits × 2 arms
    const row = (dataset: string, value: string, arm: string) =>
      rows.find((r) => r.dataset === dataset && r.value === value && r.arm === arm)!;
    close(row('bbbp', 'scaffold', 'attrmask').mean, 76); // (0.75 + 0.76 + 0.77) / 3 × 100
    close(row('bbbp', 'random', 'none').mean, 73);
    close(row('esol', 'scaffold', 'attrmask').mean, 0.91);
    assert.deepEqual(
      effectPlots(report).map((p) => p.id),
      ['effect-split'],
    );
  });

  test('learning curves: validation score per epoch, mean over seeds; torn lines skipped', () => {
    const curves = loadCurves(folder.dir, report);
    assert.equal(curves.epochs.size, 24);
    assert.ok([...curves.epochs.values()].every((points) => points.length === 3));
    const rows = curveRows(report, curves.epochs);
    assert.equal(rows.length, 2 * 2 * 2 * 3); // tables × datasets × arms × epochs
    const r = rows.find(
      (x) =>
        x.panel === 'split = scaffold' && x.dataset === 'bbbp (ROC-AUC)' && x.arm === 'none' && x.epoch === 2,
    )!;
    close(r.valid, 71 - 20 + 20); // mean test 0.71, − 0.2 + 0.1·2, ×100
    assert.equal(r.seeds, 3);
    assert.equal(learningPlot(report, curves).skipped, null);
  });

  test('pretraining loss: train and validation records of each stage', () => {
    const curves = loadCurves(folder.dir, report);
    const rows = lossRows(report, curves.losses);
    assert.deepEqual(
      rows.map((r) => [r.kind, r.step, r.loss]),
      [
        ['train', 10, 2.5],
        ['train', 20, 2.0],
        ['valid', 20, 2.2],
      ],
    );
    assert.match(rows[0]!.panel, /^attrmask \([0-9a-f]+\)$/);
    assert.equal(pretrainLossPlot(report, curves).skipped, null);
  });

  test('nothing to draw: plots left out with a reason, no error', () => {
    const empty = buildReport(folder.plan, []);
    const none = { epochs: new Map(), losses: [] };
    const plots = reportPlots(empty, none);
    assert.ok(plots.every((p) => p.spec === null && p.skipped !== null && p.skipped.length > 0));
    assert.match(gainPlot(empty).skipped!, /no comparison with the baseline has paired runs/);
    assert.match(learningPlot(empty, none).skipped!, /no finished fine-tune has a readable epochs\.jsonl/);
    // One axis only, no baseline, no pretraining: said so.
    const plain = planStudy(parseStudy({ ...small, axes: { split: ['scaffold', 'random'] } }));
    const r = buildReport(plain, []);
    assert.match(gainPlot(r).skipped!, /no baseline/);
    assert.match(effectPlots(r)[0]!.skipped!, /no axis besides split has more than one value/);
    assert.match(pretrainLossPlot(r, none).skipped!, /no pretraining/);
    assert.deepEqual(readJsonLines(join(tmp, 'no-such-file.jsonl')), []);
  });
});

/** Every external reference: URLs other than XML namespace names, and any src/href/url()/@import. */
function externalRefs(html: string): string[] {
  const namespaces = /\sxmlns(?::[A-Za-z]+)?="http:\/\/www\.w3\.org\/[^"]*"/g;
  const rest = html.replace(namespaces, '');
  const found = [
    ...rest.matchAll(/(?:https?:)?\/\/[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s"'<>]*/g),
    ...rest.matchAll(/\s(?:src|href|xlink:href|srcset)\s*=/gi),
    ...rest.matchAll(/url\(|@import/gi),
  ];
  return found.map((m) => m[0]);
}

describe('study report HTML', () => {
  let html: string;
  before(async () => {
    html = await buildHtmlReport(folder.dir, report);
  });

  test('the tables’ values, every plot as inline SVG, configs', () => {
    for (const t of report.tables)
      for (const row of t.rows)
        for (const c of row.cells) {
          const cmp = c.comparison === null ? undefined : report.comparisons[c.comparison];
          // The mark coloured: in a span of its own.
          const mark =
            c.mark === null
              ? ''
              : ` <span class="${c.mark}">${c.mark === 'gain' ? GAIN_MARK : LOSS_MARK}</span>`;
          const text = `<td>${escapeHtml(cellText(report.cells[c.cell]!, cmp, null))}${mark}</td>`;
          assert.ok(html.includes(text), text);
        }
    assert.ok(html.includes('<h3>split = scaffold</h3>'));
    const drawn = reportPlots(report, loadCurves(folder.dir, report)).filter((p) => p.spec !== null);
    assert.equal(drawn.length, 4); // gains, effect of split, learning curves, pretraining loss
    assert.equal(html.match(/<svg[\s>]/g)?.length, drawn.length);
    for (const p of drawn) assert.ok(html.includes(`class="plot plot-${p.id}"`), p.id);
    assert.ok(html.includes('Wilcoxon p'));
    assert.ok(html.includes(`<summary>${report.runs[0]!.key} · bbbp`));
    assert.ok(html.includes('&quot;zinc250k-jtvae-test&quot;')); // the study definition
  });

  test('self-contained: no external reference besides XML namespaces', () => {
    assert.deepEqual(externalRefs(html), []);
    // The check itself catches what it should.
    assert.equal(externalRefs('<script src="x.js"></script>').length, 1);
    assert.equal(externalRefs('<a>see https://example.org/x</a>').length, 1);
    assert.equal(externalRefs('<style>@import "//cdn.example.com/a.css"</style>').length, 2);
  });

  test('escapes study text; a plot that cannot be drawn is named, not fatal', async () => {
    assert.ok(!html.includes(HOSTILE));
    assert.ok(html.includes(`synthetic ${escapeHtml(HOSTILE)}`));
    const named = { ...report, study: { ...report.study, name: HOSTILE } };
    const page = renderHtml(named, []);
    assert.ok(page.includes(`<title>Study ${escapeHtml(HOSTILE)}</title>`));
    assert.equal(page.match(/<script>/g)?.length, 1); // the page's own probe only
    const bad = await renderPlots([
      { id: 'bad', title: 'Bad', caption: '', rows: [], spec: { mark: 'nonsense' }, skipped: null },
    ]);
    assert.equal(bad[0]!.svg, null);
    assert.match(bad[0]!.skipped!, /^could not be drawn: /);
  });
});

const execFileP = promisify(execFile);

/** The Chromium binary on PATH, or null. */
function findChromium(): string | null {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter))
    for (const name of ['chromium', 'chromium-browser', 'google-chrome'])
      if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
  return null;
}

describe('study report HTML in a browser', () => {
  const chromium = findChromium();
  const skip = chromium === null && process.env['MOLGROVE_SKIP_BROWSER'] === '1';

  test('headless Chromium loads it with no script error or blocked load', { skip }, async () => {
    assert.ok(
      chromium !== null,
      'chromium is not on PATH: install it (apt-get install chromium) or set MOLGROVE_SKIP_BROWSER=1',
    );
    const run = await runCli(['study', 'report', folder.dir]);
    assert.equal(run.code, 0, run.err);
    const page = join(folder.dir, 'report.html');
    assert.match(run.err, /report\.html/);
    const profile = mkdtempSync(join(tmp, 'chromium-'));
    const { stdout } = await execFileP(
      chromium,
      [
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        `--user-data-dir=${profile}`,
        '--dump-dom',
        pathToFileURL(page).href,
      ],
      { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 },
    );
    assert.match(stdout, /<body[^>]* data-ok="yes"/, 'the load event did not run');
    const errors = /<html[^>]* data-errors="([^"]*)"/.exec(stdout);
    assert.equal(errors, null, `errors in the page: ${errors?.[1]}`);
    const written = readFileSync(page, 'utf8');
    assert.equal(stdout.match(/<svg[\s>]/g)?.length, written.match(/<svg[\s>]/g)?.length);
    assert.equal(stdout.match(/<table[\s>]/g)?.length, 2 + 2 + 1); // scores, comparisons, pretrainings
  });

  test('--no-html writes no report.html', async () => {
    rmSync(join(folder.dir, 'report.html'), { force: true });
    const run = await runCli(['study', 'report', folder.dir, '--no-html']);
    assert.equal(run.code, 0, run.err);
    assert.ok(!existsSync(join(folder.dir, 'report.html')));
    assert.ok(existsSync(join(folder.dir, 'report.md')));
    assert.doesNotMatch(run.err, /report\.html/);
  });
});
