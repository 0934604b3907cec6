/** `molgrove split` end to end: RDKit.js scaffolds of BBBP must give the reference splits exactly. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseSeed, parseSizes } from '../src/cli/split.js';
import { formatSplitJson } from '../src/data/splits/index.js';
import { ConfigError } from '../src/errors.js';
import { NO_SHARED_DATA, REPO_ROOT, SHARED_DATA_DIR } from './helpers/shared-data.js';

const MAIN = join(REPO_ROOT, 'dist/src/cli/main.js');
const tmp = mkdtempSync(join(tmpdir(), 'molgrove-split-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface FixtureSplit {
  method: string;
  seed: number;
  sizes: number[];
  scaffolds: string;
  trainLength: number;
  trainSha256: string;
  valid: number[];
  test: number[];
  invalid: number[];
}
const fixtureSets = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/splits/datasets.json'), 'utf8')) as {
    datasets: { name: string; splits: FixtureSplit[] }[];
  }
).datasets;
const bbbp = fixtureSets.find((d) => d.name === 'bbbp')!;

function molgrove(args: string[]) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MOLGROVE_DATA_DIR: SHARED_DATA_DIR,
    MOLGROVE_CACHE_DIR: join(tmp, 'cache'),
    MOLGROVE_OFFLINE: '1',
  };
  return spawnSync(process.execPath, [MAIN, ...args], { cwd: REPO_ROOT, env, encoding: 'utf8' });
}

interface SplitFile {
  method: string;
  seed: number;
  sizes: number[];
  train: number[];
  valid: number[];
  test: number[];
  invalid: number[];
}

function assertMatchesFixture(file: string, want: FixtureSplit): void {
  const got = JSON.parse(readFileSync(file, 'utf8')) as SplitFile;
  assert.deepEqual(Object.keys(got), ['method', 'seed', 'sizes', 'train', 'valid', 'test', 'invalid']);
  assert.equal(got.method, want.method);
  assert.equal(got.seed, want.seed);
  assert.deepEqual(got.sizes, want.sizes);
  assert.deepEqual(got.valid, want.valid);
  assert.deepEqual(got.test, want.test);
  assert.equal(got.train.length, want.trainLength);
  assert.equal(createHash('sha256').update(JSON.stringify(got.train)).digest('hex'), want.trainSha256);
  assert.deepEqual(got.invalid, want.invalid);
}

describe('molgrove split on BBBP reproduces the reference splits', { skip: NO_SHARED_DATA }, () => {
  test('scaffold (Hu et al., canonical-SMILES route for bbbp)', () => {
    const out = join(tmp, 'bbbp-scaffold.json');
    const r = molgrove(['split', '--dataset', 'bbbp', '--method', 'scaffold', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout,
      `bbbp: scaffold split (seed 0, sizes 0.8,0.1,0.1): train 1631, valid 204, test 204, invalid 11 -> ${out}\n`,
    );
    const want = bbbp.splits.find(
      (s) => s.method === 'scaffold' && s.scaffolds === 'chiral' && s.sizes[0] === 0.8,
    );
    assertMatchesFixture(out, want!);
  });

  test('scaffold_balanced seed 1 with --json summary', () => {
    const out = join(tmp, 'bbbp-balanced.json');
    const r = molgrove([
      'split',
      '--dataset',
      'bbbp',
      '--method',
      'scaffold_balanced',
      '--seed',
      '1',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      dataset: 'bbbp',
      method: 'balanced_scaffold',
      seed: 1,
      sizes: [0.8, 0.1, 0.1],
      train: 1631,
      valid: 203,
      test: 205,
      invalid: 11,
      out,
    });
    assertMatchesFixture(out, bbbp.splits.find((s) => s.method === 'balanced_scaffold' && s.seed === 1)!);
  });

  test('random seed 0', () => {
    const out = join(tmp, 'bbbp-random.json');
    const r = molgrove(['split', '--dataset', 'bbbp', '--method', 'random', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assertMatchesFixture(out, bbbp.splits.find((s) => s.method === 'random' && s.seed === 0)!);
  });

  test('stratified needs a single classification task', () => {
    const r = molgrove([
      'split',
      '--dataset',
      'tox21',
      '--method',
      'stratified',
      '--out',
      join(tmp, 'x.json'),
    ]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /exactly one task; 'tox21' has 12/);
  });
});

describe('molgrove split on a user CSV', () => {
  const csv = join(tmp, 'mini.csv');
  writeFileSync(
    csv,
    'smiles,y\nc1ccccc1O,1\nnot_a_smiles,0\nc1ccccc1N,0\nC1CCCCC1C,1\nCCO,0\nc1ccncc1C,1\n[H][H],0\nc1ccccc1CC,0\n',
  );

  test('invalid rows are reported, not split; the file is valid JSON', () => {
    const out = join(tmp, 'mini-random.json');
    const r = molgrove([
      'split',
      '--csv',
      csv,
      '--method',
      'random',
      '--sizes',
      '0.5,0.25,0.25',
      '--out',
      out,
    ]);
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(readFileSync(out, 'utf8')) as SplitFile;
    // row 1 does not parse; row 6 has no heavy atoms (chemprop/GROVER drop both)
    assert.deepEqual(got.invalid, [1, 6]);
    assert.equal(got.train.length + got.valid.length + got.test.length, 6);
    assert.equal(got.train.length, 3);
  });

  test('Hu et al. scaffold methods keep heavy-atom-free molecules; stratified works on one task', () => {
    const out = join(tmp, 'mini-scaffold.json');
    let r = molgrove(['split', '--csv', csv, '--method', 'scaffold', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual((JSON.parse(readFileSync(out, 'utf8')) as SplitFile).invalid, [1]);
    r = molgrove(['split', '--csv', csv, '--method', 'stratified', '--seed', '3', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
  });

  test('usage errors exit with 2', () => {
    const out = join(tmp, 'never.json');
    for (const [args, message] of [
      [
        ['--method', 'kennard_stone'],
        /unknown split method 'kennard_stone'; choose one of: random, scaffold/,
      ],
      [['--method', 'random', '--sizes', '0.8,0.1'], /--sizes needs three/],
      [['--method', 'random', '--sizes', '0.8,0.1,0.2'], /must sum to 1/],
      [['--method', 'random', '--seed', '-1'], /--seed needs a non-negative integer/],
      [['--method', 'random', '--scaffold-smiles', 'weird'], /Allowed choices are auto, raw, canonical/],
    ] as const) {
      const r = molgrove(['split', '--csv', csv, ...args, '--out', out]);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    const r = molgrove(['split', '--csv', csv, '--method', 'random']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--out/);
  });
});

describe('split CLI helpers', () => {
  test('parse --sizes and --seed', () => {
    assert.deepEqual(parseSizes('0.8, 0.1,0.1'), [0.8, 0.1, 0.1]);
    assert.throws(() => parseSizes('0.8,,0.2'), ConfigError);
    assert.throws(() => parseSizes('a,b,c'), ConfigError);
    assert.equal(parseSeed('42'), 42);
    assert.throws(() => parseSeed('1.5'), ConfigError);
  });

  test('the split JSON puts each key on its own line', () => {
    const text = formatSplitJson({
      method: 'random',
      seed: 0,
      sizes: [0.8, 0.1, 0.1],
      train: [2, 0],
      valid: [1],
      test: [],
      invalid: [3],
    });
    assert.equal(
      text,
      '{\n  "method": "random",\n  "seed": 0,\n  "sizes": [0.8,0.1,0.1],\n  "train": [2,0],\n' +
        '  "valid": [1],\n  "test": [],\n  "invalid": [3]\n}\n',
    );
  });
});

// BACE exercises scaffold stereo (E/Z after side-chain removal, chiral N); ClinTox the rows that
// RDKit 2022.09 rejected (cobalamins) and today's RDKit parses.
describe('molgrove split on BACE and ClinTox equals the reference code', { skip: NO_SHARED_DATA }, () => {
  const cases: [string, string, number][] = [
    ['bace', 'scaffold', 0],
    ['bace', 'random_scaffold', 0],
    ['bace', 'balanced_scaffold', 2],
    ['clintox', 'scaffold', 0],
    ['clintox', 'balanced_scaffold', 0],
    ['clintox', 'random_scaffold', 1],
    ['clintox', 'random', 0],
  ];
  for (const [name, method, seed] of cases) {
    test(`${name} ${method} seed ${seed}`, () => {
      const want = fixtureSets
        .find((d) => d.name === name)!
        .splits.find(
          (s) =>
            s.method === method &&
            s.seed === seed &&
            s.sizes[0] === 0.8 &&
            s.scaffolds !== 'chiralOtherRoute',
        )!;
      const out = join(tmp, `${name}-${method}-${seed}.json`);
      const r = molgrove([
        'split',
        '--dataset',
        name,
        '--method',
        method,
        '--seed',
        String(seed),
        '--out',
        out,
      ]);
      assert.equal(r.status, 0, r.stderr);
      assertMatchesFixture(out, want);
    });
  }
});
