// Supervised multi-task pretraining (Hu et al.'s pretrain_supervised.py) and the downstream-overlap
// filter of the shards: labels read per source row (missing, −1/1), bad labels named by file, row
// and column, the masked BCE against a hand computation, exactly the overlapping molecules removed
// (written differently, equal by stereo-free canonical SMILES) and counted, the loss going down end
// to end, and the CLI round trip with --exclude.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { getFeaturizer } from '../src/chem/featurizers/index.js';
import { loadRDKit, withMol } from '../src/chem/rdkit.js';
import { batchGraphs } from '../src/data/batch.js';
import { parseColumnList } from '../src/data/csv.js';
import { featurizeSmiles } from '../src/data/molgraph.js';
import { ConfigError } from '../src/errors.js';
import { DEFAULT_ENCODER_OPTIONS } from '../src/models/encoders/registry.js';
import { GraphView } from '../src/models/graph.js';
import type { PretrainEvent } from '../src/pretrain/loop.js';
import type { Objective } from '../src/pretrain/objective.js';
import { getObjective } from '../src/pretrain/objectives/index.js';
import {
  labelTargets,
  MISSING_LABEL,
  readLabelTable,
  type SupervisedBatch,
} from '../src/pretrain/objectives/supervised.js';
import {
  corpusKey,
  excludedKeys,
  prepareShards,
  readShard,
  resolveExclusions,
  type ShardIndex,
  shardFingerprint,
} from '../src/pretrain/shards.js';
import { pretrainObjective } from '../src/pretrain/trainer.js';
import * as T from '../src/tensor/index.js';
import { runCli } from './helpers/cli.js';
import { FIXTURE_MOLS, smallConfig, useTmpDir } from './helpers/pretrain-corpus.js';
import { NO_SHARED_DATA, SHARED_DATA_DIR } from './helpers/shared-data.js';

const tmp = useTmpDir('molgrove-pretrain-supervised-');
before(async () => {
  await loadRDKit();
});

function write(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

const M = MISSING_LABEL;

// Rows 0..3; the SMILES column is not the first; 'nan', 'NA' and '' are missing.
const TINY = write(
  'tiny.csv',
  ['A,smiles,B,C', '1,CCO,0,', '0,c1ccccc1,,1', 'nan,CCN,1,0', 'NA,CC(=O)O,0,1', ''].join('\n'),
);

test('labels per source row: every non-SMILES column, missing cells, −1/1 coding, task choice', () => {
  const t = readLabelTable(TINY);
  assert.deepEqual(t.tasks, ['A', 'B', 'C']);
  assert.equal(t.rows, 4);
  assert.deepEqual([...t.labels], [1, 0, M, 0, M, 1, M, 1, 0, M, 0, 1]);
  // Rows looked up in batch order; missing → NaN.
  assert.deepEqual([...labelTargets(t, [2, 0])], [Number.NaN, 1, 0, 1, 0, Number.NaN]);
  assert.throws(() => labelTargets(t, [4]), /row 4 is not in/);

  const chosen = readLabelTable(TINY, parseColumnList('C, A', '--tasks'));
  assert.deepEqual(chosen.tasks, ['C', 'A']);
  assert.deepEqual([...chosen.labels], [M, 1, 1, 0, 0, M, 1, M]);

  // Hu's −1/1 coding: −1 is a negative; an id column must be left out with tasks.
  const hu = write('hu.csv', ['id,smiles,t1,t2', 'x,CCO,-1,1', 'y,CCN,,-1.0'].join('\n'));
  assert.throws(
    () => readLabelTable(hu),
    (e: Error) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /hu\.csv row 0 \(line 2\), column 'id': label "x"/);
      return true;
    },
  );
  assert.deepEqual([...readLabelTable(hu, ['t1', 't2']).labels], [0, 1, M, 0]);
  assert.deepEqual(parseColumnList('"a,b",c', '--tasks'), ['a,b', 'c']);
});

test('bad labels are ConfigErrors naming file, row and column; 0 with −1 is ambiguous', () => {
  const bad = write('bad.csv', ['smiles,A,B', 'CCO,1,0', 'CCN,0,2'].join('\n'));
  assert.throws(
    () => readLabelTable(bad),
    (e: Error) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /bad\.csv row 1 \(line 3\), column 'B': label "2" is not 0, 1, −1 or missing/);
      return true;
    },
  );
  const word = write('word.csv', ['smiles,A', 'CCO,yes'].join('\n'));
  assert.throws(() => readLabelTable(word), /word\.csv row 0 \(line 2\), column 'A': label "yes"/);
  const mixed = write('mixed.csv', ['smiles,A,B', 'CCO,1,-1', 'CCN,0,1'].join('\n'));
  assert.throws(() => readLabelTable(mixed), /both 0 \(.*row 1 .*'A'\) and −1 \(.*row 0 .*'B'\)/);
  assert.throws(() => readLabelTable(TINY, ['smiles']), /is the SMILES column/);
  assert.throws(() => readLabelTable(TINY, ['D']), /no task column 'D'/);
  assert.throws(
    () => readLabelTable(tmp),
    (e: Error) => e instanceof ConfigError && /directory/.test(e.message),
  );
  const smi = write('plain.smi', 'CCO\nCCN\n');
  assert.throws(() => readLabelTable(smi), /no task columns/);
});

function createObjective(input: string, dim: number, options = {}): Objective<SupervisedBatch> {
  return getObjective('multitask').create({
    dim,
    options: { ...getObjective('sup').defaults, ...options },
    input,
    encoderOptions: DEFAULT_ENCODER_OPTIONS,
    rng: new T.Rng(1),
    makeEncoder: () => {
      throw new Error('not used');
    },
  }) as Objective<SupervisedBatch>;
}

test('loss: BCE with logits over the present labels only, mean over them (Hu: sum / #present)', () => {
  const obj = createObjective(TINY, 2);
  assert.equal(obj.name, 'supervised');
  assert.deepEqual(obj.terms, ['total', 'present']);
  const state = Object.fromEntries(obj.head.namedParameters());
  assert.deepEqual(Object.keys(state).sort(), ['graph_pred_linear.bias', 'graph_pred_linear.weight']);
  // logits = W · mean(h) + b, W [3 tasks × 2], b [3].
  const W = [0.5, 0, -1, 0.2, 0.3, 0.3];
  const b = [0, 0.1, -0.2];
  state['graph_pred_linear.weight']!.data.set(W);
  state['graph_pred_linear.bias']!.data.set(b);

  const smiles = ['CCN', 'CCO', 'c1ccccc1']; // rows 2, 0, 1
  const rows = Int32Array.from([2, 0, 1]);
  const graphs = batchGraphs(smiles.map((s) => featurizeSmiles(s, getFeaturizer('hu'))));
  const prepared = obj.prepare({ graphs, rows, labels: {} }, new T.Rng(0));
  // Atom i of molecule g gets h = [g + 1, i]: the mean over a molecule of n atoms is [g + 1, (n − 1) / 2].
  const h = new Float32Array(graphs.numAtoms * 2);
  for (let g = 0; g < graphs.numGraphs; g++)
    for (let a = graphs.atomOffsets[g]!; a < graphs.atomOffsets[g + 1]!; a++) {
      h[2 * a] = g + 1;
      h[2 * a + 1] = a - graphs.atomOffsets[g]!;
    }
  const loss = obj.loss(
    (input) => ({ nodes: T.tensor(h, [input.numAtoms, 2]), view: new GraphView(input) }),
    prepared,
  );
  // By hand: means CCN [1, 1], CCO [2, 1], benzene [3, 2.5]; labels (rows 2, 0, 1) by task A, B, C:
  // CCN [−, 1, 0], CCO [1, 0, −], benzene [0, −, 1].
  const sp = (x: number) => Math.log(1 + Math.exp(x)); // BCE(x, 1) = sp(−x), BCE(x, 0) = sp(x)
  const logit = (m: number[], k: number) => W[2 * k]! * m[0]! + W[2 * k + 1]! * m[1]! + b[k]!;
  const ccn = [1, 1];
  const cco = [2, 1];
  const benzene = [3, 2.5];
  const terms = [
    sp(-logit(ccn, 1)),
    sp(logit(ccn, 2)),
    sp(-logit(cco, 0)),
    sp(logit(cco, 1)),
    sp(logit(benzene, 0)),
    sp(-logit(benzene, 2)),
  ];
  const want = terms.reduce((s, v) => s + v, 0) / 6;
  assert.ok(Math.abs(loss.values.total - want) < 1e-5, `${loss.values.total} vs ${want}`);
  assert.ok(Math.abs(loss.values['present']! - 6 / 9) < 1e-9);
  // Missing labels give no gradient: the head's bias gradient of task A is only CCO's and benzene's.
  T.backward(loss.total);
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  const gA = (sig(logit(cco, 0)) - 1 + sig(logit(benzene, 0)) - 0) / 6;
  assert.ok(Math.abs(T.gradOf(state['graph_pred_linear.bias']!)[0]! - gA) < 1e-5);
});

// The corpus of the overlap filter and what other.csv writes differently.
const CORPUS = [
  'CCO', // 0: excluded as OCC
  'c1ccccc1O', // 1: excluded as a Kekulé form
  'C[C@H](N)C(=O)O', // 2: excluded by its stereo-free form
  'CCN', // 3: excluded through a species of 'Cl.NCC'
  'CC(=O)[O-].[Na+]', // 4: excluded: its largest species is acetate
  'c1ccncc1', // 5
  'CCCC', // 6
  'OC(=O)c1ccccc1', // 7
  'CCCCCC', // 8
  'c1ccc2ccccc2c1', // 9
  'CC(C)O', // 10
];
const OTHER = ['OCC', 'OC1=CC=CC=C1', 'NC(C)C(O)=O', '[O-]C(C)=O', 'Cl.NCC', 'CCCCC', 'C1CC'];

test('exclusion ids: stereo-free canonical SMILES, every species of an excluded molecule, largest of an input one', () => {
  assert.equal(corpusKey('OCC'), corpusKey('CCO'));
  assert.equal(corpusKey('C[C@H](N)C(=O)O'), corpusKey('NC(C)C(O)=O'));
  assert.deepEqual(excludedKeys('Cl.NCC').sort(), ['CCN', 'Cl']);
  assert.equal(corpusKey('[Na+].CC(=O)[O-]'), 'CC(=O)[O-]');
  assert.equal(corpusKey('C1CC'), null);
  assert.deepEqual(excludedKeys('C1CC'), []);
});

test('the filter removes exactly the overlapping molecules, counts them, and re-cuts when the list changes', async () => {
  const corpus = write('corpus.csv', `smiles\n${CORPUS.join('\n')}\n`);
  const other = write('other.csv', `name,smiles\n${OTHER.map((s, i) => `m${i},${s}`).join('\n')}\n`);
  const dir = join(tmp, 'filter-shards');
  const readAll = async (index: ShardIndex) => {
    const rows: number[] = [];
    const smiles: string[] = [];
    for (const info of [...index.train, ...index.valid]) {
      const r = await readShard(dir, info);
      rows.push(...r.rows);
      smiles.push(...r.smiles);
    }
    return { rows: rows.sort((a, b) => a - b), smiles };
  };
  const index = await prepareShards(corpus, dir, { shardSize: 4, exclude: [other] });
  assert.equal(index.rows, 6);
  assert.equal(index.exclude?.removed, 5);
  assert.equal(index.exclude?.molecules, 7); // CCO, phenol, alanine, acetate, Cl, CCN, pentane
  assert.deepEqual(
    index.exclude?.sources.map((s) => s.path),
    [other],
  );
  const kept = await readAll(index);
  assert.deepEqual(kept.rows, [5, 6, 7, 8, 9, 10], 'rows keep their source numbers');
  for (const s of kept.smiles) assert.ok(CORPUS.indexOf(s) >= 5, s);
  const onDisk = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  assert.equal(onDisk.exclude.removed, 5);

  // Same options: the index is reused; no exclusion: all rows, no record, another fingerprint.
  assert.deepEqual(await prepareShards(corpus, dir, { shardSize: 4, exclude: [other] }), index);
  const all = await prepareShards(corpus, dir, { shardSize: 4 });
  assert.equal(all.rows, CORPUS.length);
  assert.equal(all.exclude, undefined);
  assert.deepEqual(
    (await readAll(all)).rows,
    CORPUS.map((_, i) => i),
  );
  assert.ok(!('exclude' in shardFingerprint(all)));
  assert.notDeepEqual(shardFingerprint(all), shardFingerprint(index));
  // An exclusion file that changes re-cuts the shards.
  writeFileSync(other, 'smiles\nCCCC\n');
  const changed = await prepareShards(corpus, dir, { shardSize: 4, exclude: [other] });
  assert.deepEqual([changed.rows, changed.exclude?.removed], [CORPUS.length - 1, 1]);
  assert.notDeepEqual(shardFingerprint(changed), shardFingerprint(index));
  await assert.rejects(prepareShards(corpus, dir, { exclude: ['no-such-dataset'] }), ConfigError);
});

test('exclusion by registry dataset name resolves its file (shared data mirror)', {
  skip: NO_SHARED_DATA,
}, async () => {
  process.env['MOLGROVE_DATA_DIR'] ??= SHARED_DATA_DIR;
  const [bbbp] = await resolveExclusions(['BBBP']);
  assert.ok(bbbp!.path.endsWith(join('moleculenet', 'BBBP.csv')));
  assert.equal(bbbp!.column, 'smiles');
  assert.equal(bbbp!.name, 'BBBP');
});

/** A labelled corpus whose tasks are facts of the molecule: has N, has O, has an aromatic atom. */
function labelledCorpus(n: number): string {
  const mols = readFileSync(FIXTURE_MOLS, 'utf8')
    .trim()
    .split('\n')
    .slice(1, n + 1);
  const lines = mols.map((s, r) => {
    const atoms = withMol(s, (m) => m.record().atoms);
    const labels = [
      atoms.some((a) => a.atomicNum === 7),
      atoms.some((a) => a.atomicNum === 8),
      atoms.some((a) => a.aromatic),
    ].map((v, k) => ((r + k) % 5 === 0 ? '' : v ? '1' : '0'));
    return [s, ...labels].join(',');
  });
  return write('labelled.csv', `smiles,hasN,hasO,aromatic\n${lines.join('\n')}\n`);
}

test('supervised pretraining of a GIN lowers the loss', async () => {
  const input = labelledCorpus(40);
  const shardDir = join(tmp, 'sup-shards');
  const index = await prepareShards(input, shardDir, { shardSize: 20 });
  const events: PretrainEvent[] = [];
  const r = await pretrainObjective({
    dir: join(tmp, 'sup-run'),
    shardDir,
    index,
    arch: 'gin',
    encoderOptions: { dim: 16, layers: 2, dropout: 0 },
    objective: 'supervised',
    config: smallConfig({ epochs: 4, batchSize: 8, lr: 1e-2 }),
    inline: true,
    onEvent: (e) => events.push(e),
  });
  assert.ok(r.completed);
  const epochs = events.filter((e) => e.type === 'epoch');
  console.log(`supervised train loss ${epochs.map((e) => e.trainLoss.toFixed(3)).join(' → ')}`);
  assert.equal(epochs.length, 4);
  assert.ok(
    epochs[3]!.trainLoss < epochs[0]!.trainLoss - 0.05,
    `${epochs[0]!.trainLoss} → ${epochs[3]!.trainLoss}`,
  );
  const record = JSON.parse(readFileSync(join(tmp, 'sup-run', 'loss.jsonl'), 'utf8').split('\n')[0]!);
  assert.ok(record.present > 0.6 && record.present < 1, `present ${record.present}`);
});

test('CLI: pretrain --objective supervised --exclude <file> reports the removed molecules', async () => {
  const input = labelledCorpus(30);
  const mols = readFileSync(input, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',')[0]!);
  // Three corpus molecules, as RDKit writes them without stereo (the fixture's SMILES are not).
  const picked = [mols[2]!, mols[5]!, mols[11]!];
  const rewritten = picked.map((s) => withMol(s, (m) => m.canonicalSmiles(false)));
  mkdirSync(join(tmp, 'cli'), { recursive: true });
  const other = write('cli/other.smi', `${rewritten.join('\n')}\n`);
  const out = join(tmp, 'cli', 'run');
  const args = [
    'pretrain',
    '--arch',
    'gin',
    '--objective',
    'supervised',
    '--input',
    input,
    '--exclude',
    other,
    '--out',
    out,
    '--epochs',
    '1',
    '--batch-size',
    '8',
    '--shard-size',
    '10',
    '--hidden',
    '16',
    '--layers',
    '2',
    '--tasks',
    'hasN,aromatic',
    '--json',
  ];
  const res = await runCli(args);
  assert.equal(res.code, 0, res.err);
  const keys = new Set(rewritten.flatMap((s) => excludedKeys(s)));
  const dupes = mols.filter((s) => keys.has(corpusKey(s) ?? '')).length;
  assert.ok(dupes >= 3);
  assert.match(
    res.err,
    new RegExp(`excluded ${dupes} of 30 input molecules found in .*other\\.smi \\(${keys.size} distinct`),
  );
  const summary = JSON.parse(res.out);
  assert.ok(Number.isFinite(summary.finalTrainLoss));
  const index = JSON.parse(readFileSync(join(out, 'shards', 'index.json'), 'utf8'));
  assert.equal(index.exclude.removed, dupes);
  assert.equal(index.rows, 30 - dupes);
  const record = JSON.parse(readFileSync(join(out, 'loss.jsonl'), 'utf8').split('\n')[0]!);
  assert.ok('present' in record);
  // Usage errors: a flag of another objective, a task that is not a column, an unknown exclusion.
  const swap = (flag: string, value: string) => {
    const a = [...args];
    a[a.indexOf(flag) + 1] = value;
    return a;
  };
  assert.equal((await runCli(swap('--objective', 'attrmask'))).code, 2);
  assert.equal((await runCli(swap('--tasks', 'nope'))).code, 2);
  assert.equal((await runCli(swap('--exclude', 'no-such-dataset'))).code, 2);
});
