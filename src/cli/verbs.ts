/** Every CLI verb, registered in the order `molgrove --help` lists them. One file per verb. */
import type { Command } from 'commander';
import { registerBuildVocab } from './build-vocab.js';
import { registerDatasets } from './datasets.js';
import { registerEvaluate } from './evaluate.js';
import { registerFeaturize } from './featurize.js';
import { registerFinetune } from './finetune.js';
import { registerFingerprint } from './fingerprint.js';
import { registerPredict } from './predict.js';
import { registerPretrain } from './pretrain.js';
import { registerSplit } from './split.js';
import { registerStudy } from './study.js';
import { registerWorker } from './worker.js';

export function registerVerbs(program: Command): void {
  registerDatasets(program);
  registerFeaturize(program);
  registerSplit(program);
  registerFinetune(program);
  registerPredict(program);
  registerEvaluate(program);
  registerFingerprint(program);
  registerBuildVocab(program);
  registerPretrain(program);
  registerStudy(program);
  registerWorker(program);
}
