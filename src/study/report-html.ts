/**
 * report.html: the study report as one self-contained page, for a browser with no network. The
 * tables as the Markdown prints them (report-text.ts), the plots (report-plots.ts)
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
import { type StudyReport, showValue } from './report.js';
import { loadCurves } from './report-curves.js';
import { type Plot, reportPlots, type VegaLiteSpec } from './report-plots.js';
import {
  comparisonsNote,
  comparisonTable,
  GAIN_MARK,
  LOSS_MARK,
  legendLines,
  pretrainTable,
  scoreTable,
  studyFacts,
  type TextTable,
} from './report-text.js';
import { formatScore } from './score-format.js';

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

function htmlTable({ header, rows }: TextTable, cls?: string): string {
  const head = `<tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${marked(c)}</td>`).join('')}</tr>`).join('\n');
  return tag('table', `<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>`, cls);
}

const legend = (report: StudyReport): string =>
  tag(
    'ul',
    legendLines(report)
      .map((l) => tag('li', marked(l)))
      .join(''),
    'legend',
  );

function headerSection(report: StudyReport): string {
  const s = report.study;
  return [
    tag('h1', `Study ${escapeHtml(s.name)}`),
    s.description ? tag('p', escapeHtml(s.description)) : '',
    tag('p', tag('strong', `${escapeHtml(report.progress)}.`)),
    tag('p', escapeHtml(studyFacts(report))),
    ...report.warnings.map((w) => tag('p', `warning: ${escapeHtml(w)}`, 'warning')),
  ].join('\n');
}

function tablesSection(report: StudyReport): string {
  const parts = [tag('h2', 'Scores'), legend(report)];
  for (const t of report.tables)
    parts.push(tag('h3', escapeHtml(t.title)), htmlTable(scoreTable(report, t), 'scores'));
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
  const note = comparisonsNote(report);
  if (note === null) return '';
  const parts = [tag('h2', 'Comparisons with the baseline'), tag('p', escapeHtml(note))];
  for (const t of report.tables) {
    if (report.tables.length > 1) parts.push(tag('h3', escapeHtml(t.title)));
    parts.push(htmlTable(comparisonTable(report, t), 'cmp'));
  }
  return parts.join('\n');
}

function pretrainsSection(report: StudyReport): string {
  if (report.pretrains.length === 0) return '';
  return [tag('h2', 'Pretrainings'), htmlTable(pretrainTable(report))].join('\n');
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
