/**
 * How study reports print scores and gains (Markdown, HTML, verdicts): 0–1 metrics (ROC-AUC,
 * PRC-AUC, accuracy) ×100 with one decimal, as the papers print them; others with three decimals.
 * report.json keeps the raw numbers.
 */

/** A cell or number with nothing to show (no finished run, undefined statistic). */
export const MISSING = '–';

/** Metrics on a 0–1 scale, printed ×100 as the papers do. */
const PERCENT_METRICS = new Set(['roc-auc', 'prc-auc', 'accuracy']);
const METRIC_LABELS: Readonly<Record<string, string>> = {
  'roc-auc': 'ROC-AUC',
  'prc-auc': 'PRC-AUC',
  accuracy: 'accuracy',
  rmse: 'RMSE',
  mae: 'MAE',
  r2: 'R²',
};

/** Whether a metric prints ×100 (a 0–1 scale). */
export const isPercentMetric = (m: string): boolean => PERCENT_METRICS.has(m);

export const metricLabel = (m: string): string => METRIC_LABELS[m] ?? m;

/** A score or gain as printed: ×100 with one decimal on 0–1 metrics, else three decimals. */
export function formatScore(x: number, metric: string, signed = false): string {
  if (!Number.isFinite(x)) return MISSING;
  const text = PERCENT_METRICS.has(metric) ? (x * 100).toFixed(1) : x.toFixed(3);
  // −0.0 reads as a loss that is not there.
  const clean = /^-0\.0+$/.test(text) ? text.slice(1) : text;
  return signed && !clean.startsWith('-') ? `+${clean}` : clean;
}
