/**
 * report.html: the study report as one self-contained page, for a browser with no network. The
 * tables as the Markdown prints them (report-markdown.ts helpers), the plots (report-plots.ts)
 * rendered to inline SVG with vega in Node, the comparisons, the pretrainings and the resolved
 * configs. No external reference at all: styles and the one script are inline, a Content-Security-
 * Policy forbids loading anything, and every text from the study is escaped.
 *
 * The inline script only records, for headless checks, that the page loaded (body data-ok="yes")
 * and any script error or blocked load (data-errors on <html>).
 */

import { join } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../util/atomic.js';
import type { ComparisonEntry, ReportTable, StudyReport } from './report.js';
import { showValue } from './report.js';
import { loadCurves } from './report-curves.js';
import { averageGainText, cellText, GAIN_MARK, LOSS_MARK } from './report-markdown.js';
import { type Plot, reportPlots, type VegaLiteSpec } from './report-plots.js';
import { formatScore, MISSING, metricLabel } from './score-format.js';
import { formatP } from './stats/index.js';

export const REPORT_HTML_FILE = 'report.html';

/** A plot drawn: its SVG, or why it is not there. */
export interface RenderedPlot {
  readonly plot: Plot;
  readonly svg: string | null;
  readonly skipped: string | null;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text made safe for HTML element content and quoted attribute values. */
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

/** A Vega-Lite spec drawn to SVG in Node (no canvas: text widths are estimated). */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const compiled = compile(spec as unknown as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Every plot drawn; one that fails to draw is left out with the error, not the whole report. */
export async function renderPlots(plots: readonly Plot[]): Promise<RenderedPlot[]> {
  const out: RenderedPlot[] = [];
  for (const plot of plots) {
    if (plot.spec === null) {
      out.push({ plot, svg: null, skipped: plot.skipped ?? 'no data.' });
      continue;
    }
    try {
      out.push({ plot, svg: await renderSvg(plot.spec), skipped: null });
    } catch (e) {
      out.push({ plot, svg: null, skipped: `could not be drawn: ${(e as Error).message}` });
    }
  }
  return out;
}

// --- HTML pieces ----------------------------------------------------------------------------------

const tag = (name: string, body: string, cls?: string) =>
  `<${name}${cls === undefined ? '' : ` class="${cls}"`}>${body}</${name}>`;

/** Escaped text with the significance marks coloured. */
const marked = (text: string) =>
  escapeHtml(text)
    .replaceAll(GAIN_MARK, `<span class="gain">${GAIN_MARK}</span>`)
    .replaceAll(LOSS_MARK, `<span class="loss">${LOSS_MARK}</span>`);

function htmlTable(header: readonly string[], rows: readonly (readonly string[])[], cls?: string): string {
  const head = `<tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${marked(c)}</td>`).join('')}</tr>`).join('\n');
  return tag('table', `<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>`, cls);
}

const pText = (p: number) => (Number.isFinite(p) ? formatP(p) : MISSING);

/** The papers' layout, as report-markdown.ts prints it. */
function mainTable(report: StudyReport, table: ReportTable): string {
  const withGain = report.study.baseline !== null;
  const header = [
    report.rowAxis ?? '',
    ...table.datasets.map((d) => `${d.dataset} (${metricLabel(d.metric)})`),
    ...(withGain ? ['average gain'] : []),
  ];
  const rows = table.rows.map((row) => [
    row.isBaseline ? `${row.label} (baseline)` : row.label,
    ...row.cells.map((c) =>
      cellText(
        report.cells[c.cell]!,
        c.comparison === null ? undefined : report.comparisons[c.comparison],
        c.mark,
      ),
    ),
    ...(withGain ? [row.isBaseline ? MISSING : averageGainText(row.averageGains)] : []),
  ]);
  return htmlTable(header, rows, 'scores');
}

function comparisonRow(c: ComparisonEntry): string[] {
  const unpaired = c.missingInArm.length + c.missingInBaseline.length;
  const ci = `[${formatScore(c.ci.low, c.metric, true)}, ${formatScore(c.ci.high, c.metric, true)}]`;
  return [
    showValue(c.arm),
    c.dataset,
    unpaired > 0 ? `${c.n} (${unpaired} unpaired)` : String(c.n),
    c.n === 0 ? MISSING : formatScore(c.meanGain, c.metric, true),
    c.n === 0 ? MISSING : ci,
    pText(c.tP),
    pText(c.wilcoxonP),
    pText(c.pHolm),
    c.verdict,
  ];
}

function comparisonTable(report: StudyReport, table: ReportTable): string {
  const header = [
    report.rowAxis ?? '',
    'dataset',
    'pairs',
    'Δ',
    '95% CI',
    't p',
    'Wilcoxon p',
    'Holm p',
    'verdict',
  ];
  return htmlTable(header, report.comparisons.filter((c) => c.table === table.id).map(comparisonRow), 'cmp');
}

function legend(report: StudyReport): string {
  const metrics = [...new Set(report.cells.map((c) => c.metric))];
  const lines = [
    `Cells: test ${metrics.map(metricLabel).join(' / ')} of each seed, mean ± std over seeds (population std); ` +
      '0–1 scores ×100, as the papers print them.',
  ];
  const b = report.study.baseline;
  if (b) {
    const test = report.test === 't' ? 'paired t-test' : 'Wilcoxon signed-rank test';
    lines.push(
      `Δ: mean paired gain over the baseline ${b.axis} = ${showValue(b.value)}, paired by seed (positive = better); ` +
        'average gain: mean ± std over datasets of Δ (Sun et al. 2022).',
      `${GAIN_MARK} / ${LOSS_MARK}: significant gain / loss at α = ${report.alpha} (${test}, Holm-adjusted over the ` +
        `${report.familySize} testable comparisons of this report).`,
    );
  }
  lines.push(`${MISSING}: no finished run; [n/N]: n of N seeds finished.`);
  return tag('ul', lines.map((l) => tag('li', marked(l))).join(''), 'legend');
}

function headerSection(report: StudyReport): string {
  const s = report.study;
  const fixed = Object.entries(report.fixed).map(([k, v]) => `${k} = ${showValue(v)}`);
  const facts =
    `Datasets: ${s.datasets.join(', ')}; seeds: ${s.seeds.join(', ')}` +
    (fixed.length > 0 ? `; fixed: ${fixed.join(', ')}` : '') +
    '.';
  return [
    tag('h1', `Study ${escapeHtml(s.name)}`),
    s.description ? tag('p', escapeHtml(s.description)) : '',
    tag('p', tag('strong', `${escapeHtml(report.progress)}.`)),
    tag('p', escapeHtml(facts)),
    ...report.warnings.map((w) => tag('p', `warning: ${escapeHtml(w)}`, 'warning')),
  ].join('\n');
}

function tablesSection(report: StudyReport): string {
  const parts = [tag('h2', 'Scores'), legend(report)];
  for (const t of report.tables) parts.push(tag('h3', escapeHtml(t.title)), mainTable(report, t));
  return parts.join('\n');
}

function plotsSection(plots: readonly RenderedPlot[]): string {
  const parts = [tag('h2', 'Plots')];
  for (const { plot, svg, skipped } of plots) {
    parts.push(tag('h3', escapeHtml(plot.title)));
    if (svg === null) parts.push(tag('p', `Left out: ${escapeHtml(skipped ?? '')}`, 'skipped'));
    else
      parts.push(
        tag(
          'figure',
          `${svg}\n${tag('figcaption', escapeHtml(plot.caption))}`,
          `plot plot-${escapeHtml(plot.id)}`,
        ),
      );
  }
  return parts.join('\n');
}

function comparisonsSection(report: StudyReport): string {
  if (report.comparisons.length === 0) return '';
  const parts = [
    tag('h2', 'Comparisons with the baseline'),
    tag(
      'p',
      escapeHtml(
        `95% CI: percentile bootstrap of the mean gain (${report.comparisons[0]!.ci.resamples} resamples). ` +
          `Verdicts use the ${report.test === 't' ? 'paired t' : 'Wilcoxon'} p, Holm-adjusted over ` +
          `${report.familySize} comparisons; t p and Wilcoxon p are unadjusted.`,
      ),
    ),
  ];
  for (const t of report.tables) {
    if (report.tables.length > 1) parts.push(tag('h3', escapeHtml(t.title)));
    parts.push(comparisonTable(report, t));
  }
  return parts.join('\n');
}

function pretrainsSection(report: StudyReport): string {
  if (report.pretrains.length === 0) return '';
  const rows = report.pretrains.map((p) => [
    p.key,
    p.objective,
    p.inputs.join(' + '),
    String(p.usedBy),
    p.done ? 'yes' : 'no',
    p.lossFiles?.map((f) => f.file).join(', ') ?? MISSING,
  ]);
  return [
    tag('h2', 'Pretrainings'),
    htmlTable(['key', 'objective', 'inputs', 'used by', 'done', 'loss curves'], rows),
  ].join('\n');
}

const jsonBlock = (v: unknown) => tag('pre', escapeHtml(JSON.stringify(v, null, 2)));

/** One collapsed block per run: what it is in the summary, its resolved config inside. */
function runDetails(summary: string, config: unknown): string {
  return `<details><summary>${escapeHtml(summary)}</summary>${jsonBlock(config)}</details>`;
}

function configsSection(report: StudyReport): string {
  const axes = (a: Readonly<Record<string, unknown>>) =>
    Object.entries(a)
      .map(([k, v]) => `${k} = ${showValue(v)}`)
      .join(', ');
  const finetunes = report.runs.map((r) =>
    runDetails(
      `${r.key} · ${r.dataset} · ${axes(r.axes)} · seed ${r.seed} · ` +
        (r.test === null ? (r.done ? 'no score' : 'not finished') : `test ${formatScore(r.test, r.metric)}`),
      r.config,
    ),
  );
  const pretrains = report.pretrains.map((p) =>
    runDetails(`${p.key} · ${p.objective} · ${p.done ? 'finished' : 'not finished'}`, p.config),
  );
  return [
    tag('h2', 'Configs'),
    tag('h3', 'Study definition'),
    jsonBlock(report.study),
    `<details class="runs"><summary>Resolved configs of the ${report.runs.length} fine-tunes and ` +
      `${report.pretrains.length} pretrainings</summary>`,
    ...pretrains,
    ...finetunes,
    '</details>',
  ].join('\n');
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1200px;
  padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; } h3 { margin-top: 1.4em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
table.scores td:not(:first-child) { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.gain { color: #1a7f37; } .loss { color: #cf222e; }
.warning { color: #9a6700; } .skipped { color: #666; font-style: italic; }
.legend { color: #444; font-size: 0.92em; }
figure { margin: 0.5em 0 1.5em; overflow-x: auto; } figcaption { color: #555; font-size: 0.9em; }
pre { background: #f6f8fa; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
details { margin: 0.2em 0; } summary { cursor: pointer; }
footer { margin-top: 3em; color: #666; font-size: 0.9em; }
`;

// Runs first in <head>: records errors of anything after it, and that the page finished loading.
const PROBE = `
(function () {
  var root = document.documentElement;
  function note(text) { root.dataset.errors = (root.dataset.errors ? root.dataset.errors + ' | ' : '') + text; }
  window.addEventListener('error', function (e) { note(String(e.message || 'error')); });
  document.addEventListener('securitypolicyviolation', function (e) { note('blocked ' + e.blockedURI); });
  window.addEventListener('load', function () { document.body.dataset.ok = 'yes'; });
})();
`;

// Nothing may load from anywhere: the page must read the same offline.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

/** The whole page from the report model and its drawn plots. */
export function renderHtml(report: StudyReport, plots: readonly RenderedPlot[]): string {
  const footer =
    `Generated ${report.generatedAt} by molgrove ${report.molgrove}` +
    (report.versions.length > 0 ? `; results from molgrove ${report.versions.join(', ')}` : '') +
    '. Every run, score and resolved config: report.json.';
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>Study ${escapeHtml(report.study.name)}</title>`,
    `<script>${PROBE}</script>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    headerSection(report),
    tablesSection(report),
    plotsSection(plots),
    comparisonsSection(report),
    pretrainsSection(report),
    configsSection(report),
    tag('footer', escapeHtml(footer)),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** report.html of a study folder: reads the curves there, draws the plots, returns the page. */
export async function buildHtmlReport(dir: string, report: StudyReport): Promise<string> {
  const plots = await renderPlots(reportPlots(report, loadCurves(dir, report)));
  return renderHtml(report, plots);
}

export async function writeHtmlReport(dir: string, html: string): Promise<string> {
  const path = join(dir, REPORT_HTML_FILE);
  await writeFileAtomic(path, html);
  return path;
}
