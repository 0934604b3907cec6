/**
 * Markdown of a study report: the text of report-text.ts (tables in the papers' layout, the
 * comparisons with their tests and verdicts, the pretrainings) with Markdown's syntax, then the
 * settings. report.json keeps the raw numbers.
 */

import type { StudyReport } from './report.js';
import {
  comparisonsNote,
  comparisonTable,
  legendLines,
  pretrainTable,
  scoreTable,
  studyFacts,
  type TextTable,
} from './report-text.js';

const escapeCell = (s: string) => s.replaceAll('|', '\\|');

function tableMd({ header, rows }: TextTable): string[] {
  const line = (cells: readonly string[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)];
}

/** The Markdown report. */
export function renderMarkdown(report: StudyReport): string {
  const s = report.study;
  const lines: string[] = [`# Study ${s.name}`, ''];
  if (s.description) lines.push(s.description, '');
  lines.push(`**${report.progress}.**`, '', studyFacts(report), '');
  for (const l of legendLines(report)) lines.push(`${l}  `);
  lines.push('');
  for (const w of report.warnings) lines.push(`> warning: ${w}`, '');
  for (const t of report.tables) lines.push(`## ${t.title}`, '', ...tableMd(scoreTable(report, t)), '');
  const note = comparisonsNote(report);
  if (note !== null) {
    lines.push('## Comparisons with the baseline', '', note, '');
    for (const t of report.tables) {
      if (report.tables.length > 1) lines.push(`### ${t.title}`, '');
      lines.push(...tableMd(comparisonTable(report, t)), '');
    }
  }
  if (report.pretrains.length > 0) lines.push('## Pretrainings', '', ...tableMd(pretrainTable(report)), '');
  lines.push('## Settings', '', '```json');
  lines.push(JSON.stringify({ finetune: s.finetune, pretrain: s.pretrain }, null, 2), '```', '');
  lines.push(
    `Generated ${report.generatedAt} by molgrove ${report.molgrove}` +
      (report.versions.length > 0 ? `; results from molgrove ${report.versions.join(', ')}` : '') +
      '. Every run, score and resolved config: report.json.',
  );
  return `${lines.join('\n')}\n`;
}
