/**
 * Built-in studies: the papers' grids at a scale this machine finishes, on the shared data. Every
 * reduced setting is stated here and can be overridden (`--set finetune.epochs=100`, or a study
 * file with `preset: sun2022` and its own keys).
 *
 * Reduced scale, both presets: GIN 128 wide × 3 layers (papers: 300 × 5); pretraining 1 epoch on
 * ZINC250k's JT-VAE validation split, 24,445 molecules (papers: ZINC15 2M, 100 epochs); supervised
 * pretraining on MUV's 17 tasks, 93,087 molecules, downstream molecules excluded (papers: ChEMBL
 * 456k × 1,310 tasks, which the shared data lacks); fine-tuning 10 epochs (papers: 100), batch 32,
 * Adam 1e-3, dropout 0.5; 3 seeds (Hu et al.: 10).
 */
import { readFileSync } from 'node:fs';
import { ConfigError, unknownChoice } from '../errors.js';
import {
  applyOverrides,
  deepMerge,
  parseStudy,
  readStudyObject,
  type Study,
  type StudyInput,
  studyBaseDir,
} from './definition.js';

const REDUCED_FINETUNE = { epochs: 10, hidden: 128, layers: 3, dropout: 0.5, batchSize: 32, lr: 1e-3 };
const REDUCED_PRETRAIN = {
  corpus: 'zinc250k-jtvae-valid',
  epochs: 1,
  supervisedInput: 'muv',
  exclude: 'auto' as const,
};

export const STUDY_PRESETS: Readonly<Record<string, { description: string; study: StudyInput }>> = {
  sun2022: {
    description:
      'Sun et al. 2022 Tables 2–9: 5 datasets × objectives (self-supervised, supervised, sequences) × basic/rich features × scaffold/balanced scaffold, GIN, 3 seeds',
    study: {
      name: 'sun2022',
      description:
        "Sun, Dai & Yu 2022 (NeurIPS), 'Does GNN pretraining help molecular representation?', Tables 2–9 at reduced scale",
      datasets: ['bbbp', 'bace', 'tox21', 'toxcast', 'sider'],
      seeds: [0, 1, 2],
      baseline: { objective: 'none' },
      axes: {
        objective: [
          'none',
          'attrmask',
          'contextpred',
          'motif',
          'graphcl',
          'supervised',
          'attrmask+supervised',
          'contextpred+supervised',
        ],
        features: ['basic', 'rich'],
        split: ['scaffold', 'balanced_scaffold'],
        arch: ['gin'],
      },
      finetune: REDUCED_FINETUNE,
      pretrain: REDUCED_PRETRAIN,
    },
  },
  hu2020: {
    description:
      "Hu et al. 2020 Table 1: GIN × Hu's objectives (alone and + supervised) on their classification sets but MUV (the supervised stand-in here), scaffold split, basic features, 3 seeds",
    study: {
      name: 'hu2020',
      description:
        "Hu et al. 2020 (ICLR), 'Strategies for Pre-training Graph Neural Networks', Table 1 at reduced scale; MUV is the supervised pretraining set, so not a downstream one",
      datasets: ['bbbp', 'tox21', 'toxcast', 'sider', 'clintox', 'hiv', 'bace'],
      seeds: [0, 1, 2],
      baseline: { objective: 'none' },
      axes: {
        objective: [
          'none',
          'infomax',
          'edgepred',
          'attrmask',
          'contextpred',
          'supervised',
          'infomax+supervised',
          'edgepred+supervised',
          'attrmask+supervised',
          'contextpred+supervised',
        ],
      },
      finetune: { ...REDUCED_FINETUNE, features: 'hu', split: 'scaffold', arch: 'gin' },
      pretrain: REDUCED_PRETRAIN,
    },
  },
};

export function getStudyPreset(name: string): StudyInput {
  const p = STUDY_PRESETS[name.trim().toLowerCase()];
  if (!p) throw unknownChoice('study preset', name, Object.keys(STUDY_PRESETS));
  return p.study;
}

export interface LoadStudyOptions {
  /** A .yaml/.yml/.json study file. */
  readonly file?: string;
  /** A built-in study (STUDY_PRESETS); with a file, the file is merged over it. */
  readonly preset?: string;
  /** `path=value` overrides applied last (definition.ts applyOverrides). */
  readonly set?: readonly string[];
}

/** The study a command names: preset < file (its own `preset:` key counts) < --set. */
export function loadStudy(options: LoadStudyOptions): Study {
  const { file, set = [] } = options;
  if (file === undefined && options.preset === undefined)
    throw new ConfigError('give a study file or --preset (' + Object.keys(STUDY_PRESETS).join(', ') + ')');
  let value: Record<string, unknown> = {};
  let source = `preset ${options.preset}`;
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read study file ${file}: ${(e as Error).message}`);
    }
    value = readStudyObject(file, text);
    source = file;
  }
  const presetName = options.preset ?? (typeof value['preset'] === 'string' ? value['preset'] : undefined);
  if (presetName !== undefined) {
    const merged = deepMerge(getStudyPreset(presetName), value) as Record<string, unknown>;
    // A baseline names one axis: the file's replaces the preset's instead of adding to it.
    if (value['baseline'] !== undefined) merged['baseline'] = value['baseline'];
    value = merged;
  }
  if (set.length > 0) {
    value = applyOverrides(value, set);
    source += ` with ${set.map((s) => `--set ${s}`).join(' ')}`;
  }
  return parseStudy(value, source, file === undefined ? process.cwd() : studyBaseDir(file));
}
