// Synthetic study results for report tests: a fine-tune recorded as the runner would, with the
// dataset's metric (esol: RMSE, the rest ROC-AUC) and its run folder.
import type { PlannedFinetune } from '../../src/study/plan.js';
import type { ResultStore } from '../../src/study/store.js';

export function recordFinetune(store: ResultStore, f: PlannedFinetune, test: number): Promise<boolean> {
  return store.record({
    key: f.key,
    kind: 'finetune',
    config: f.config,
    metrics: { test, valid: test, metric: f.dataset === 'esol' ? 'rmse' : 'roc-auc' },
    seconds: 1,
    pretrain: f.pretrain,
    info: { dir: `runs/${f.key}` },
  });
}
