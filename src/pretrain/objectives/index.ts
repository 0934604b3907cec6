// Pretraining objectives by alias (see ../objective.ts). The generic trainer (../trainer.ts) and
// `molgrove pretrain --objective` look them up here.

import { unknownChoice } from '../../errors.js';
import type { ObjectiveFactory } from '../objective.js';
import { attrMaskObjective } from './attrmask.js';
import { contextPredObjective } from './contextpred.js';
import { edgePredObjective } from './edgepred.js';
import { graphclObjective } from './graphcl.js';
import { groverContextObjective } from './grover-context.js';
import { infomaxObjective } from './infomax.js';
import { motifObjective } from './motif.js';
import { supervisedObjective } from './supervised.js';

export const OBJECTIVES: readonly ObjectiveFactory[] = [
  attrMaskObjective,
  motifObjective,
  contextPredObjective,
  edgePredObjective,
  infomaxObjective,
  graphclObjective,
  supervisedObjective,
  groverContextObjective,
];

export function objectiveNames(): string[] {
  return OBJECTIVES.flatMap((o) => [o.name, ...o.aliases]);
}

export function getObjective(name: string): ObjectiveFactory {
  const key = name.trim().toLowerCase();
  const found = OBJECTIVES.find((o) => o.name === key || o.aliases.includes(key));
  if (!found) throw unknownChoice('objective', name, objectiveNames());
  return found;
}
