// Sun et al. (2022, "Does GNN pretraining help?")-style cross-dataset summary: the average over
// datasets of each dataset's mean paired gain, with the spread of those per-dataset gains. The std
// is the sample standard deviation (ddof = 1; NaN for a single dataset) — the datasets are a sample
// of the tasks one cares about. Only comparisons of the same arm on the same metric are averaged:
// gains in ROC-AUC and RMSE are not on one scale.
import { mean } from './paired-t.js';

export interface DatasetGain {
  dataset: string;
  meanGain: number;
}

export interface AverageGain {
  arm: string;
  metric: string;
  datasets: DatasetGain[];
  /** Mean over datasets of the per-dataset mean gain. */
  meanGain: number;
  /** Sample standard deviation (ddof = 1) of the per-dataset mean gains. */
  stdGain: number;
}

export function averageGain(arm: string, metric: string, datasets: readonly DatasetGain[]): AverageGain {
  const gains = datasets.map((d) => d.meanGain).filter((g) => !Number.isNaN(g));
  const m = gains.length === 0 ? Number.NaN : mean(gains);
  let ss = 0;
  for (const g of gains) ss += (g - m) ** 2;
  const stdGain = gains.length < 2 ? Number.NaN : Math.sqrt(ss / (gains.length - 1));
  return { arm, metric, datasets: [...datasets], meanGain: m, stdGain };
}
