// Induced subgraphs of a batch (src/data/subgraph.ts), checked against hand-counted molecules:
// which atoms, bonds and molecules stay, that rows and codes follow their atoms, and that the result
// is a well-formed batch (reverse edges, offsets) that an encoder with reverse-edge messages runs on.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { getFeaturizer } from '../src/chem/featurizers/index.js';
import { loadRDKit } from '../src/chem/rdkit.js';
import { batchGraphs, type GraphBatch } from '../src/data/batch.js';
import { featurizeSmiles } from '../src/data/molgraph.js';
import { subgraphBatch } from '../src/data/subgraph.js';
import { createEncoder } from '../src/models/encoders/registry.js';
import { GraphView } from '../src/models/graph.js';
import { inputSpecFor } from '../src/models/inputs.js';
import * as T from '../src/tensor/index.js';

before(async () => {
  await loadRDKit();
});

function batchOf(smiles: string[], featurizer = 'hu'): GraphBatch {
  return batchGraphs(smiles.map((s) => featurizeSmiles(s, getFeaturizer(featurizer))));
}

/** Bonds of a batch as sorted "u-v" strings (u < v), from the first direction of each. */
function bondSet(b: GraphBatch): string[] {
  const out: string[] = [];
  for (let e = 0; e < b.numEdges; e += 2) {
    const u = b.edgeIndex[e]!;
    const v = b.edgeIndex[b.numEdges + e]!;
    out.push(`${Math.min(u, v)}-${Math.max(u, v)}`);
  }
  return out.sort();
}

function checkWellFormed(b: GraphBatch): void {
  const m = b.numEdges;
  assert.equal(b.atomOffsets[b.numGraphs], b.numAtoms);
  assert.equal(b.edgeOffsets[b.numGraphs], m);
  for (let e = 0; e < m; e++) {
    const r = b.revEdge[e]!;
    assert.equal(b.revEdge[r], e);
    assert.equal(b.edgeIndex[r], b.edgeIndex[m + e], 'reverse edge starts where the edge ends');
    const g = b.graphIndex[b.edgeIndex[e]!]!;
    assert.ok(e >= b.edgeOffsets[g]! && e < b.edgeOffsets[g + 1]!, 'edge within its molecule');
    assert.equal(b.graphIndex[b.edgeIndex[m + e]!], g);
  }
}

test('subgraph: kept atoms with the bonds between them; empty molecules dropped', () => {
  // Propanol C0-C1-C2-O3, then ethane C4-C5, then benzene 6–11.
  const src = batchOf(['CCCO', 'CC', 'c1ccccc1']);
  const keep = new Uint8Array(src.numAtoms);
  // Propanol: C0, C2, O3 (bond C2-O3 only); ethane: none; benzene: 6, 7, 8, 10 (bonds 6-7, 7-8).
  for (const a of [0, 2, 3, 6, 7, 8, 10]) keep[a] = 1;
  const { batch, graphs, atomMap } = subgraphBatch(src, keep);
  assert.deepEqual([...graphs], [0, 2]);
  assert.equal(batch.numGraphs, 2);
  assert.equal(batch.numAtoms, 7);
  assert.deepEqual([...batch.atomOffsets], [0, 3, 7]);
  assert.deepEqual([...atomMap], [0, -1, 1, 2, -1, -1, 3, 4, 5, -1, 6, -1]);
  // New indices: propanol C2→1, O3→2; benzene 6→3, 7→4, 8→5.
  assert.deepEqual(bondSet(batch), ['1-2', '3-4', '4-5']);
  assert.equal(batch.numEdges, 6);
  assert.deepEqual([...batch.graphIndex], [0, 0, 0, 1, 1, 1, 1]);
  // Atom codes follow their atoms: O (type 7) is new atom 2.
  assert.equal(batch.atomCodes[2 * 2], 7);
  // Aromatic bonds keep their code (3).
  assert.equal(batch.bondCodes[2 * 2], 3);
  checkWellFormed(batch);
});

test('subgraph: bond flags drop whole bonds; features move with their rows', () => {
  const src = batchOf(['CC(=O)O', 'CCN'], 'chemprop');
  const keep = new Uint8Array(src.numAtoms).fill(1);
  // Acetic acid bonds: 0 C-C, 1 C=O, 2 C-O; propylamine bonds 3 C-C, 4 C-N. Drop 1 and 4.
  const keepBond = Uint8Array.from([1, 0, 1, 1, 0]);
  const { batch } = subgraphBatch(src, keep, keepBond);
  assert.equal(batch.numEdges, 6);
  assert.deepEqual([...batch.edgeOffsets], [0, 4, 6]);
  const d = src.bondDim;
  // Kept edge 2 of the result is source edge 4 (bond 2, first direction).
  assert.deepEqual(
    [...batch.bondFeatures.subarray(2 * d, 3 * d)],
    [...src.bondFeatures.subarray(4 * d, 5 * d)],
  );
  assert.deepEqual(batch.atomFeatures, src.atomFeatures);
  checkWellFormed(batch);
  // D-MPNN reads reverse edges: it runs on the subgraph batch.
  const f = getFeaturizer('chemprop');
  const enc = createEncoder(
    'dmpnn',
    inputSpecFor(f.name, f.atomDim, f.bondDim),
    { dim: 8, layers: 2, dropout: 0 },
    new T.Rng(1),
  );
  const h = T.noGrad(() => enc.forward(new GraphView(batch)));
  assert.deepEqual(h.shape, [batch.numAtoms, 8]);
});

test('subgraph: flags of the wrong length are refused', () => {
  const src = batchOf(['CCO']);
  assert.throws(() => subgraphBatch(src, new Uint8Array(2)), /3 atoms/);
  assert.throws(() => subgraphBatch(src, new Uint8Array(3), new Uint8Array(5)), /2 bonds/);
});
