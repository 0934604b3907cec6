// GROVER's contextual-property prediction on any encoder (src/pretrain/objectives/grover-context.ts):
// atom and bond labels computed at featurization time (hand-checked keys on acetic acid, the rest
// against context.ts + the vocabulary), lined up with a shuffled batch's atoms and bonds, identical
// on the worker and inline; GROVER's ceil(0.15 n) draw, fixed mode masking exactly the labelled
// atoms/bonds, gradients only into labelled rows; the loss going down on GIN, end to end, inline
// and through the worker (same loss.jsonl); and clear errors without a vocabulary.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { withMol } from '../src/chem/rdkit.js';
import { ConfigError } from '../src/errors.js';
import { GraphView } from '../src/models/graph.js';
import { loadEncoderFile } from '../src/models/model-file-node.js';
import { featurizeGraphShard, GraphShardData, type PackedGraphShard } from '../src/pretrain/graph-shard.js';
import { buildVocabsFromFile } from '../src/pretrain/grover/build.js';
import { contextKeys } from '../src/pretrain/grover/context.js';
import { countChunk } from '../src/pretrain/grover/count-chunk.js';
import { OTHER_INDEX, saveVocabPair, Vocab } from '../src/pretrain/grover/vocab.js';
import type { PretrainEvent } from '../src/pretrain/loop.js';
import type { MoleculeLabelName, PretrainBatch } from '../src/pretrain/objective.js';
import { MASK_ATOM_TYPE, MASK_BOND_TYPE } from '../src/pretrain/objectives/attrmask.js';
import { type ContextBatch, prepareContext } from '../src/pretrain/objectives/grover-context.js';
import { getObjective } from '../src/pretrain/objectives/index.js';
import { WorkerShardFeaturizer } from '../src/pretrain/shard-featurizer.js';
import { readShard } from '../src/pretrain/shards.js';
import * as T from '../src/tensor/index.js';
import { runCli } from './helpers/cli.js';
import { FIXTURE_MOLS, useFixtureCorpus } from './helpers/pretrain-corpus.js';

const corpus = useFixtureCorpus('molgrove-grover-context-', saveVocabs);
const { tmp, shardDir } = corpus;
/** Vocabulary of a few SMILES (VOCAB_SMILES), and of the whole fixture corpus. */
const smallVocabDir = join(tmp, 'vocab-small');
const corpusVocabDir = join(tmp, 'vocab-corpus');
const VOCAB_SMILES = ['CC(=O)O', 'CCO', 'c1ccccc1O', 'C/C=C/C', 'C'];
const LABELS: MoleculeLabelName[] = ['atomContext', 'bondContext'];
let small: { atom: Vocab; bond: Vocab };

/** Saves both vocabularies (run by the corpus's before(), once RDKit is loaded). */
async function saveVocabs(): Promise<void> {
  const counts = countChunk(VOCAB_SMILES, 0, 1);
  small = { atom: Vocab.fromCounts('atom', counts.atoms), bond: Vocab.fromCounts('bond', counts.bonds) };
  mkdirSync(smallVocabDir);
  await saveVocabPair(smallVocabDir, small.atom, small.bond);
  const built = await buildVocabsFromFile(FIXTURE_MOLS, { workers: 1 });
  mkdirSync(corpusVocabDir);
  await saveVocabPair(corpusVocabDir, built.atom, built.bond);
}

// Acetic acid first (hand-checked), a stereo double bond, a molecule whose keys are not in the
// vocabulary, an aromatic ring, a single atom, and one SMILES RDKit rejects (row 5, skipped).
const SMILES = ['CC(=O)O', 'C/C=C/C', 'CN', 'c1ccccc1O', 'C', 'C1CC', 'OCC'];
const ROWS = Int32Array.from(SMILES, (_, i) => i);
const VALID = SMILES.filter((_, i) => i !== 5);

test('labels are the vocabulary ids of GROVER keys, in a shuffled batch’s atom and bond order', async () => {
  assert.equal(getObjective('contextual-property').name, 'grover-context');
  assert.equal(getObjective('groverctx').name, 'grover-context');
  const packed = await featurizeGraphShard(ROWS, SMILES, 'hu', [...LABELS, 'motifs'], {
    vocab: smallVocabDir,
  });
  assert.deepEqual([...packed.invalid], [5]);
  const data = new GraphShardData(packed);
  const order = [3, 0, 5, 2, 4, 1];
  const b = data.batch(order);
  const g = b.graphs;
  const atomLabels = b.labels.atomContext!;
  const bondLabels = b.labels.bondContext!;
  assert.ok(atomLabels instanceof Int32Array && bondLabels instanceof Int32Array);
  assert.equal(atomLabels.length, g.numAtoms);
  assert.equal(bondLabels.length, g.numEdges / 2, 'one label per bond, not per directed edge');
  assert.equal(b.labels.motifs!.length, order.length * 85, 'molecule labels alongside');

  // Acetic acid by hand (RDKit order C0 methyl, C1 carbonyl, O2 =O, O3 -OH; bonds C0–C1, C1=O2, C1–O3).
  const i0 = order.indexOf(0);
  const a0 = g.atomOffsets[i0]!;
  const b0 = g.edgeOffsets[i0]! >> 1;
  const S = '(SINGLE-STEREONONE-NONE)';
  const D = '(DOUBLE-STEREONONE-NONE)';
  const handAtoms = ['C_C-SINGLE1', 'C_C-SINGLE1_O-DOUBLE1_O-SINGLE1', 'O_C-DOUBLE1', 'O_C-SINGLE1'];
  const handBonds = [`${S}_C-${D}1_C-${S}1`, `${D}_C-${S}2`, `${S}_C-${D}1_C-${S}1`];
  for (const k of [...handAtoms, ...handBonds]) assert.ok(small.atom.has(k) || small.bond.has(k), k);
  assert.deepEqual(
    [...atomLabels.subarray(a0, a0 + 4)],
    handAtoms.map((k) => small.atom.indexOf(k)),
  );
  assert.deepEqual(
    [...bondLabels.subarray(b0, b0 + 3)],
    handBonds.map((k) => small.bond.indexOf(k)),
  );
  // Methylamine's keys are not in the vocabulary: <other> = 1.
  const iN = order.indexOf(2);
  const aN = g.atomOffsets[iN]!;
  assert.deepEqual([...atomLabels.subarray(aN, aN + 2)], [OTHER_INDEX, OTHER_INDEX]);
  assert.equal(bondLabels[g.edgeOffsets[iN]! >> 1], OTHER_INDEX);

  // Every molecule against context.ts's keys + vocabulary lookups, and bond b = edges 2b, 2b+1.
  const m = g.numEdges;
  order.forEach((mol, i) => {
    const s = VALID[mol]!;
    const keys = contextKeys(s);
    const atoms = [g.atomOffsets[i]!, g.atomOffsets[i + 1]!];
    const bonds = [g.edgeOffsets[i]! >> 1, g.edgeOffsets[i + 1]! >> 1];
    assert.deepEqual(atomLabels.subarray(atoms[0], atoms[1]), small.atom.encode(keys.atoms), s);
    assert.deepEqual(bondLabels.subarray(bonds[0], bonds[1]), small.bond.encode(keys.bonds), s);
    const rdkitBonds = withMol(s, (v) => v.record().bonds);
    rdkitBonds.forEach((bond, k) => {
      const e = 2 * (bonds[0]! + k);
      assert.deepEqual(
        [g.edgeIndex[e]! - atoms[0]!, g.edgeIndex[m + e]! - atoms[0]!],
        [bond.begin, bond.end],
        `${s} bond ${k}`,
      );
    });
    assert.equal(b.rows[i], mol < 5 ? mol : mol + 1);
  });
  // The E double bond's key carries RDKit's stereo and is in the vocabulary (it was counted).
  const butene = contextKeys('C/C=C/C').bonds[1]!;
  assert.match(butene, /^\(DOUBLE-STEREOE-NONE\)/);
  const iB = order.indexOf(1);
  assert.equal(bondLabels[(g.edgeOffsets[iB]! >> 1) + 1], small.bond.indexOf(butene));
  assert.ok(small.bond.indexOf(butene) > OTHER_INDEX);
});

function newWorker(options: Record<string, string>) {
  return new WorkerShardFeaturizer<PackedGraphShard>(
    new URL('../src/pretrain/graph-shard-worker.js', import.meta.url),
    { init: { featurizer: 'chemprop', labels: [...LABELS, 'motifs'], options } },
  );
}

test('the worker (vocabulary loaded there) and inline featurization give identical shards', async () => {
  const rows = await readShard(shardDir, corpus.index.train[0]!);
  const inline = await featurizeGraphShard(rows.rows, rows.smiles, 'chemprop', [...LABELS, 'motifs'], {
    vocab: corpusVocabDir,
  });
  const worker = newWorker({ vocab: corpusVocabDir });
  try {
    const onWorker = await worker.get('a', async () => rows);
    assert.deepEqual(onWorker, inline);
    assert.ok(onWorker.labels.atomContext!.length > 100);
  } finally {
    await worker.close();
  }
  const broken = newWorker({ vocab: join(tmp, 'no-such-dir') });
  try {
    await assert.rejects(
      broken.get('a', async () => rows),
      /shard featurization failed: cannot read .*atom_vocab\.json/,
    );
  } finally {
    await broken.close();
  }
});

async function fixtureBatch(featurizer: string): Promise<PretrainBatch> {
  const rows = await readShard(shardDir, corpus.index.train[0]!);
  const packed = await featurizeGraphShard(rows.rows, rows.smiles, featurizer, LABELS, {
    vocab: corpusVocabDir,
  });
  const data = new GraphShardData(packed);
  return data.batch([7, 2, 11, 0, 5, 9]);
}

test('GROVER’s draw: ceil(0.15 n) atoms and bonds; fixed mode masks exactly those, faithful nothing', async () => {
  const batch = await fixtureBatch('chemprop');
  const g = batch.graphs;
  const codes = Int32Array.from(g.atomCodes);
  const features = Float32Array.from(g.atomFeatures);
  const fixed = prepareContext(batch, new T.Rng(3), { mode: 'fixed', rate: 0.15 });
  const t = fixed.targets;
  assert.deepEqual(g.atomCodes, codes, 'the batch itself is not modified');
  assert.deepEqual(g.atomFeatures, features);

  const labelledAtoms = new Set(t.atoms);
  const labelledBonds = new Set(t.bonds);
  for (let i = 0; i < g.numGraphs; i++) {
    const na = g.atomOffsets[i + 1]! - g.atomOffsets[i]!;
    const nb = (g.edgeOffsets[i + 1]! - g.edgeOffsets[i]!) / 2;
    const inMol = (x: number, lo: number, hi: number) => x >= lo && x < hi;
    const atoms = [...t.atoms].filter((a) => inMol(a, g.atomOffsets[i]!, g.atomOffsets[i + 1]!));
    const bonds = [...t.bonds].filter((k) => inMol(2 * k, g.edgeOffsets[i]!, g.edgeOffsets[i + 1]!));
    assert.equal(atoms.length, Math.ceil(0.15 * na));
    assert.equal(bonds.length, Math.ceil(0.15 * nb));
  }
  t.atoms.forEach((a, j) => {
    assert.equal(t.atomLabels[j], batch.labels.atomContext![a]);
  });
  const m = g.numEdges;
  t.bonds.forEach((k, j) => {
    assert.equal(t.bondLabels[j], batch.labels.bondContext![k]);
    assert.deepEqual([t.bondSrc[j], t.bondDst[j]], [g.edgeIndex[2 * k], g.edgeIndex[m + 2 * k]]);
  });
  assert.ok([...t.atomLabels, ...t.bondLabels].every((v) => v >= OTHER_INDEX));

  // Fixed: labelled atoms get Hu's mask token and zero features; every other atom is untouched.
  const input = fixed.input;
  const D = g.atomDim;
  for (let a = 0; a < g.numAtoms; a++) {
    const code = [input.atomCodes[2 * a], input.atomCodes[2 * a + 1]];
    const row = input.atomFeatures.subarray(a * D, (a + 1) * D);
    if (labelledAtoms.has(a)) {
      assert.deepEqual(code, [MASK_ATOM_TYPE, 0]);
      assert.ok(row.every((x) => x === 0));
    } else {
      assert.deepEqual(code, [codes[2 * a], codes[2 * a + 1]]);
      assert.deepEqual(row, features.subarray(a * D, (a + 1) * D));
    }
  }
  const E = g.bondDim;
  for (let e = 0; e < m; e++) {
    const code = [input.bondCodes[2 * e], input.bondCodes[2 * e + 1]];
    const row = input.bondFeatures.subarray(e * E, (e + 1) * E);
    if (labelledBonds.has(e >> 1)) {
      assert.deepEqual(code, [MASK_BOND_TYPE, 0]);
      assert.ok(row.every((x) => x === 0));
    } else {
      assert.deepEqual(code, [g.bondCodes[2 * e], g.bondCodes[2 * e + 1]]);
      assert.deepEqual(row, g.bondFeatures.subarray(e * E, (e + 1) * E));
    }
  }

  // Faithful: the same draw, inputs as they are. Same seed, same draw; another seed, another.
  const faithful = prepareContext(batch, new T.Rng(3), { mode: 'faithful', rate: 0.15 });
  assert.deepEqual(faithful.targets, t);
  assert.equal(faithful.input, g);
  assert.deepEqual(prepareContext(batch, new T.Rng(3), { mode: 'fixed', rate: 0.15 }), fixed);
  assert.notDeepEqual(
    prepareContext(batch, new T.Rng(4), { mode: 'fixed', rate: 0.15 }).targets.atoms,
    t.atoms,
  );
  // A larger rate labels more.
  const half = prepareContext(batch, new T.Rng(3), { mode: 'fixed', rate: 0.5 });
  assert.ok(half.targets.atoms.length > t.atoms.length);
});

test('the loss reaches only the labelled atoms and the ends of labelled bonds', async () => {
  const batch = await fixtureBatch('hu');
  const dim = 8;
  const obj = getObjective('grover-context').create({
    dim,
    options: { vocab: corpusVocabDir, mode: 'fixed', rate: 0.15 },
    input: FIXTURE_MOLS,
    encoderOptions: {} as never,
    rng: new T.Rng(1),
    makeEncoder: () => {
      throw new Error('not used');
    },
  });
  const prepared = obj.prepare(batch, new T.Rng(2)) as ContextBatch;
  const n = batch.graphs.numAtoms;
  const rng = new T.Rng(5);
  const nodes = new T.Parameter(
    'nodes',
    Float32Array.from({ length: n * dim }, () => rng.normal()),
    [n, dim],
  );
  const loss = obj.loss((input) => ({ nodes, view: new GraphView(input) }), prepared);
  assert.ok(Number.isFinite(loss.values.total) && loss.values.total > 0);
  assert.ok(Math.abs(loss.values.total - loss.values['atom']! - loss.values['bond']!) < 1e-5);
  T.backward(loss.total);
  const reached = new Set([
    ...prepared.targets.atoms,
    ...prepared.targets.bondSrc,
    ...prepared.targets.bondDst,
  ]);
  for (let a = 0; a < n; a++) {
    const gr = nodes.grad!.subarray(a * dim, (a + 1) * dim);
    assert.equal(
      gr.some((x) => x !== 0),
      reached.has(a),
      `atom ${a}`,
    );
  }
});

function run(dir: string, extra: { inline?: boolean; objectiveOptions?: Record<string, string> } = {}) {
  const events: PretrainEvent[] = [];
  const result = corpus.run({
    dir,
    arch: 'gin',
    encoderOptions: { dim: 32, layers: 2, dropout: 0 },
    objective: 'groverctx',
    objectiveOptions: extra.objectiveOptions ?? { vocab: corpusVocabDir },
    config: { epochs: 4, batchSize: 8, lr: 3e-3 },
    onEvent: (e) => events.push(e),
    ...(extra.inline ? { inline: true } : {}),
  });
  return { result, events };
}

test('grover-context on GIN lowers the loss; inline and worker featurization train identically', async () => {
  const inline = run(join(tmp, 'inline'), { inline: true });
  assert.ok((await inline.result).completed);
  const epochs = inline.events.filter((e) => e.type === 'epoch');
  assert.equal(epochs.length, 4);
  console.log(
    `grover-context train loss ${epochs.map((e) => e.trainLoss.toFixed(3)).join(' → ')}, ` +
      `valid ${epochs.map((e) => e.validLoss.toFixed(3)).join(' → ')}`,
  );
  assert.ok(
    epochs[3]!.trainLoss < epochs[0]!.trainLoss - 1,
    `${epochs[0]!.trainLoss} → ${epochs[3]!.trainLoss}`,
  );
  assert.ok(epochs[3]!.validLoss < epochs[0]!.validLoss);
  const lines = readFileSync(join(tmp, 'inline', 'loss.jsonl'), 'utf8')
    .trim()
    .split('\n');
  const first = JSON.parse(lines[0]!);
  assert.ok(['atom', 'atomAcc', 'bond', 'bondAcc'].every((k) => Number.isFinite(first[k])));

  const worker = run(join(tmp, 'worker'));
  assert.ok((await worker.result).completed);
  assert.equal(
    readFileSync(join(tmp, 'worker', 'loss.jsonl'), 'utf8'),
    readFileSync(join(tmp, 'inline', 'loss.jsonl'), 'utf8'),
  );
});

test('a missing or unreadable vocabulary, or a bad mode, is a clear ConfigError', async () => {
  await assert.rejects(run(join(tmp, 'no-vocab'), { objectiveOptions: {} }).result, (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /grover-context needs a vocabulary: option vocab \(--vocab <dir>\)/);
    return true;
  });
  const empty = join(tmp, 'empty');
  mkdirSync(empty);
  await assert.rejects(
    run(join(tmp, 'empty-vocab'), { objectiveOptions: { vocab: empty } }).result,
    /no atom_vocab\.json in .*empty \(build the vocabularies with molgrove build-vocab\)/,
  );
  await assert.rejects(
    run(join(tmp, 'bad-mode'), { objectiveOptions: { vocab: corpusVocabDir, mode: 'hidden' } }).result,
    /mode must be one of fixed, faithful/,
  );
});

test('CLI: pretrain --arch gin --objective grover-context reads GROVER’s --vocab and --mode', async () => {
  const out = join(tmp, 'cli');
  const args = [
    'pretrain',
    '--arch',
    'gin',
    '--objective',
    'grover-context',
    '--input',
    FIXTURE_MOLS,
    '--out',
    out,
  ];
  const small = ['--hidden', '16', '--layers', '1', '--epochs', '1', '--batch-size', '16', '--json'];
  const r = await runCli([...args, '--vocab', corpusVocabDir, '--mode', 'faithful', ...small]);
  assert.equal(r.code, 0, r.err);
  const enc = await loadEncoderFile(join(out, 'pretrained.mgv'));
  assert.deepEqual(enc.info['objectiveOptions'], { vocab: corpusVocabDir, mode: 'faithful', rate: 0.15 });
  const missing = await runCli([...args.slice(0, -1), join(tmp, 'cli-2'), ...small]);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /needs a vocabulary/);
});
