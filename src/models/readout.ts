// Graph readouts: node embeddings [numNodes, d] → one row per molecule [numGraphs, d].

import { unknownChoice } from '../errors.js';
import * as T from '../tensor/index.js';
import type { GraphView } from './graph.js';

export const READOUTS = ['mean', 'sum', 'max'] as const;
export type ReadoutKind = (typeof READOUTS)[number];

export function readout(kind: ReadoutKind, h: T.Tensor, g: GraphView): T.Tensor {
  switch (kind) {
    case 'mean':
      return T.segmentMean(h, g.graphIndex, g.numGraphs);
    case 'sum':
      return T.segmentSum(h, g.graphIndex, g.numGraphs);
    case 'max':
      return T.segmentMax(h, g.graphIndex, g.numGraphs);
    default:
      throw unknownChoice('readout', kind, READOUTS);
  }
}
