/**
 * Motif prediction (GROVER's graph-level task, Rong et al. 2020; tencent-ailab/grover
 * `GroverTask`'s fg head, read, not copied), on any encoder: the mean readout of the node
 * embeddings → a linear layer → 85 logits, one per RDKit fr_* functional group, with binary
 * cross-entropy (mean over molecules × 85) against the binarized counts (src/chem/fragments.ts
 * motifLabels), computed at featurization time. Any featurizer.
 */

import type { GraphBatch } from '../../data/batch.js';
import { Linear } from '../../models/layers.js';
import { Module } from '../../models/module.js';
import { readout } from '../../models/readout.js';
import * as T from '../../tensor/index.js';
import { MOLECULE_LABELS, type Objective, type ObjectiveFactory, type PretrainBatch } from '../objective.js';

export const MOTIF_COUNT = MOLECULE_LABELS.motifs.width;

interface MotifBatch {
  readonly input: GraphBatch;
  readonly targets: Float32Array;
}

class MotifHead extends Module {
  readonly linear: Linear;
  constructor(dim: number, rng: T.Rng) {
    super();
    this.linear = this.child('linear_pred_motifs', new Linear(dim, MOTIF_COUNT, rng));
  }
}

export const motifObjective: ObjectiveFactory = {
  name: 'motif',
  aliases: ['motifs', 'fg'],
  description: "motif prediction: 85 RDKit fr_* groups, multi-label on a mean readout (GROVER's fg task)",
  featurizer: null,
  moleculeLabels: ['motifs'],
  defaults: {},
  flags: [],
  create({ dim, rng }): Objective<MotifBatch> {
    const head = new MotifHead(dim, rng);
    return {
      name: 'motif',
      terms: ['total'],
      head,
      prepare: (batch: PretrainBatch) => ({
        input: batch.graphs,
        targets: Float32Array.from(batch.labels.motifs!),
      }),
      loss(encode, { input, targets }) {
        const { nodes, view } = encode(input);
        const logits = head.linear.forward(readout('mean', nodes, view));
        const total = T.bceWithLogits(logits, targets);
        return { total, values: { total: total.item() } };
      },
    };
  },
};
