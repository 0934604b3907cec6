/**
 * The splitters against test/fixtures/splits/datasets.json: RDKit scaffolds of BBBP, BACE and ClinTox and
 * the indices that independent Python re-implementations of the reference code produced
 * (scripts/fixtures/gen_splits.py). Plus the rules every splitter shares.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  getSplitter,
  SPLIT_METHOD_NAMES,
  type SplitInput,
  type SplitResult,
  type SplitSizes,
  split,
} from '../src/data/splits/index.js';
import { ConfigError } from '../src/errors.js';

interface FixtureSplit {
  method: string;
  seed: number;
  sizes: [number, number, number];
  scaffolds: 'chiral' | 'achiral' | 'chiralOtherRoute' | 'validMask';
  trainLength: number;
  trainSha256: string;
  valid: number[];
  test: number[];
  invalid: number[];
}
interface FixtureDataset {
  name: string;
  n: number;
  scaffoldTable: string[];
  chiral: number[];
  achiral: number[];
  chiralOtherRoute: Record<string, number>;
  labels?: (number | null)[];
  splits: FixtureSplit[];
}
const fixture = JSON.parse(
  readFileSync(new URL('../../test/fixtures/splits/datasets.json', import.meta.url), 'utf8'),
) as { datasets: FixtureDataset[] };

function decode(ds: FixtureDataset, codes: readonly number[]): (string | null)[] {
  return codes.map((c) => (c < 0 ? null : ds.scaffoldTable[c]!));
}

function inputFor(ds: FixtureDataset, s: FixtureSplit): SplitInput {
  const chiral = decode(ds, ds.chiral);
  const base = { n: ds.n, seed: s.seed, sizes: s.sizes };
  switch (s.scaffolds) {
    case 'chiral':
      return { ...base, scaffolds: chiral };
    case 'achiral':
      return { ...base, scaffolds: decode(ds, ds.achiral) };
    case 'chiralOtherRoute': {
      const other = [...chiral];
      for (const [row, code] of Object.entries(ds.chiralOtherRoute))
        other[Number(row)] = ds.scaffoldTable[code]!;
      return { ...base, scaffolds: other };
    }
    case 'validMask': {
      const labels = ds.labels?.map((y) => (y === null ? Number.NaN : y));
      const valid = chiral.map((sc) => sc !== null);
      return labels ? { ...base, valid, labels } : { ...base, valid };
    }
  }
}

const sha256 = (xs: number[]) => createHash('sha256').update(JSON.stringify(xs)).digest('hex');

function assertPartition(r: SplitResult, n: number): void {
  const all = [...r.train, ...r.valid, ...r.test, ...r.invalid].sort((a, b) => a - b);
  assert.deepEqual(
    all,
    Array.from({ length: n }, (_, i) => i),
    'train/valid/test/invalid partition the rows',
  );
}

describe('splits reproduce the reference code on MoleculeNet data', () => {
  for (const ds of fixture.datasets) {
    for (const s of ds.splits) {
      it(`${ds.name} ${s.method} seed ${s.seed} sizes ${s.sizes.join(',')} (${s.scaffolds})`, () => {
        const r = split(s.method, inputFor(ds, s));
        assert.equal(r.method, s.method);
        assert.deepEqual(r.valid, s.valid, 'valid');
        assert.deepEqual(r.test, s.test, 'test');
        assert.equal(r.train.length, s.trainLength, 'train length');
        assert.equal(sha256(r.train), s.trainSha256, 'train indices and order');
        assert.deepEqual(r.invalid, s.invalid, 'invalid');
        assertPartition(r, ds.n);
      });
    }
  }

  it('BBBP: the chemprop random cut differs from Hu et al.s (int(0.9n) vs int(0.8n)+int(0.1n))', () => {
    const ds = fixture.datasets.find((d) => d.name === 'bbbp')!;
    const s = ds.splits.find((x) => x.method === 'random')!;
    const r = split('random', inputFor(ds, s));
    const n = r.train.length + r.valid.length + r.test.length;
    assert.equal(n, 2039);
    assert.equal(r.train.length, Math.trunc(0.8 * n));
    assert.equal(r.train.length + r.valid.length, Math.trunc((0.8 + 0.1) * n));
    assert.notEqual(r.train.length + r.valid.length, Math.trunc(0.8 * n) + Math.trunc(0.1 * n));
  });
});

// A toy dataset: scaffold letters per row, one unparsable row (null).
const toy: (string | null)[] = ['A', 'B', 'A', 'C', null, 'B', 'A', 'D', 'E', 'C', 'F', 'G'];
const sizes: SplitSizes = [0.8, 0.1, 0.1];

describe('scaffold (Hu et al.)', () => {
  it('sorts sets by (size, first index) descending and tests every set against train', () => {
    // valid n = 11: cutoffs 8.8 and 9.9. Sets: A[0,2,6] B[1,5] C[3,9] D[7] E[8] F[10] G[11].
    // Order: A, C (first 3) before B (first 1), then G, F, E, D (later first index first).
    const r = split('scaffold', { n: toy.length, scaffolds: toy, seed: 0, sizes });
    assert.deepEqual(r.train, [0, 2, 6, 3, 9, 1, 5, 11]);
    assert.deepEqual(r.valid, [10]);
    assert.deepEqual(r.test, [8, 7]);
    assert.deepEqual(r.invalid, [4]);
  });

  it('ignores the seed', () => {
    const a = split('scaffold', { n: toy.length, scaffolds: toy, seed: 0, sizes });
    const b = split('scaffold', { n: toy.length, scaffolds: toy, seed: 5, sizes });
    assert.deepEqual([a.train, a.valid, a.test], [b.train, b.valid, b.test]);
  });

  it('treats the empty scaffold (acyclic molecules) as one group', () => {
    const r = split('scaffold', { n: 4, scaffolds: ['', '', 'X', ''], seed: 0, sizes: [0.75, 0.25, 0] });
    assert.deepEqual(r.train, [0, 1, 3]);
    assert.deepEqual(r.valid, [2]);
  });
});

describe('balanced_scaffold (GROVER/chemprop)', () => {
  it('is reachable as scaffold_balanced and depends on the seed', () => {
    const scaffolds = Array.from({ length: 200 }, (_, i) => `S${i % 37}`);
    const a = split('scaffold_balanced', { n: 200, scaffolds, seed: 0, sizes });
    const b = split('balanced_scaffold', { n: 200, scaffolds, seed: 0, sizes });
    const c = split('balanced_scaffold', { n: 200, scaffolds, seed: 1, sizes });
    assert.equal(a.method, 'balanced_scaffold');
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.test, c.test);
  });

  it('puts big sets first, so a set larger than val_size/2 lands in train', () => {
    // n = 20: val_size = test_size = 2 → sets of size > 1 are big and shuffled ahead of singletons.
    const scaffolds = ['X', 'X', 'X', 'X', 'X', 'X', ...Array.from({ length: 14 }, (_, i) => `s${i}`)];
    const r = split('balanced_scaffold', { n: 20, scaffolds, seed: 3, sizes });
    for (const i of [0, 1, 2, 3, 4, 5]) assert.ok(r.train.includes(i));
    assert.equal(r.train.length, 16);
    assert.equal(r.valid.length, 2);
    assert.equal(r.test.length, 2);
  });
});

describe('random_scaffold (Hu et al.)', () => {
  it('fills valid, then test, then train with whole scaffold sets', () => {
    const r = split('random_scaffold', { n: toy.length, scaffolds: toy, seed: 0, sizes });
    assert.ok(r.valid.length <= 1 && r.test.length <= 1);
    assertPartition(r, toy.length);
    const groupOf = new Map(toy.map((s, i) => [i, s]));
    for (const part of [r.train, r.valid, r.test]) {
      for (const other of [r.train, r.valid, r.test]) {
        if (part === other) continue;
        for (const i of part) for (const j of other) assert.notEqual(groupOf.get(i), groupOf.get(j));
      }
    }
  });

  it('needs a seed NumPy accepts', () => {
    assert.throws(
      () => split('random_scaffold', { n: toy.length, scaffolds: toy, seed: 2 ** 32, sizes }),
      ConfigError,
    );
  });
});

describe('random (chemprop v1 / GROVER)', () => {
  it('excludes invalid rows marked by a null scaffold or the valid mask', () => {
    const valid = toy.map((_, i) => i !== 7);
    const r = split('random', { n: toy.length, scaffolds: toy, valid, seed: 1, sizes });
    assert.deepEqual(r.invalid, [4, 7]);
    assert.equal(r.train.length, 8); // int(0.8 * 10)
    assert.equal(r.valid.length, 1); // int(0.9 * 10) - 8
    assert.equal(r.test.length, 1);
    assertPartition(r, toy.length);
  });
});

describe('stratified', () => {
  it('keeps class proportions per split and sorts indices', () => {
    const labels = Array.from({ length: 100 }, (_, i) => (i % 4 === 0 ? 1 : 0));
    const r = split('stratified', { n: 100, labels, seed: 0, sizes });
    const ones = (xs: number[]) => xs.filter((i) => labels[i] === 1).length;
    // 25 ones: 20 / int(0.9 * 25) - 20 = 2 / 3; 75 zeros: 60 / int(67.5) - 60 = 7 / 8
    assert.deepEqual([r.train.length, r.valid.length, r.test.length], [80, 9, 11]);
    assert.deepEqual([ones(r.train), ones(r.valid), ones(r.test)], [20, 2, 3]);
    for (const xs of [r.train, r.valid, r.test])
      assert.deepEqual(
        xs,
        [...xs].sort((a, b) => a - b),
      );
  });

  it('keeps missing labels as their own stratum and rejects non-integer labels', () => {
    const labels = [0, 1, Number.NaN, 0, 1, Number.NaN, 0, 1, 0, 1];
    const r = split('stratified', { n: 10, labels, seed: 2, sizes });
    assertPartition(r, 10);
    assert.throws(
      () => split('stratified', { n: 2, labels: [0.5, 1], seed: 0, sizes }),
      /integer class labels/,
    );
    assert.throws(() => split('stratified', { n: 2, seed: 0, sizes }), /needs one class label/);
  });
});

describe('shared rules', () => {
  it('validates sizes', () => {
    for (const bad of [
      [0.8, 0.1],
      [0.8, 0.1, 0.2],
      [1.1, -0.05, -0.05],
      [0.8, 0.1, Number.NaN],
    ]) {
      assert.throws(
        () => split('random', { n: 3, seed: 0, sizes: bad as unknown as SplitSizes }),
        ConfigError,
        JSON.stringify(bad),
      );
    }
    // within 1e-6 of 1 is fine
    split('random', { n: 3, seed: 0, sizes: [0.8, 0.1, 0.1000005] });
  });

  it('requires scaffolds for scaffold methods and matching lengths', () => {
    for (const m of ['scaffold', 'balanced_scaffold', 'random_scaffold']) {
      assert.throws(() => split(m, { n: 3, seed: 0, sizes }), /needs one scaffold per row/);
    }
    assert.throws(
      () => split('scaffold', { n: 4, scaffolds: ['a'], seed: 0, sizes }),
      /1 scaffolds for 4 rows/,
    );
  });

  it('rejects bad seeds', () => {
    assert.throws(() => split('random', { n: 3, seed: -1, sizes }), ConfigError);
    assert.throws(() => split('random', { n: 3, seed: 0.5, sizes }), ConfigError);
  });

  it('looks splitters up by name or alias, failing with the list of choices', () => {
    assert.equal(getSplitter('Scaffold_Balanced').name, 'balanced_scaffold');
    assert.deepEqual(SPLIT_METHOD_NAMES, [
      'random',
      'scaffold',
      'balanced_scaffold',
      'random_scaffold',
      'stratified',
      'scaffold_balanced',
    ]);
    assert.throws(
      () => getSplitter('kennard_stone'),
      (err: unknown) =>
        err instanceof ConfigError &&
        /unknown split method 'kennard_stone'; choose one of: random, scaffold/.test(err.message),
    );
  });

  it('handles an empty dataset', () => {
    for (const m of ['random', 'scaffold', 'balanced_scaffold', 'random_scaffold']) {
      const r = split(m, { n: 0, scaffolds: [], seed: 0, sizes });
      assert.deepEqual([r.train, r.valid, r.test, r.invalid], [[], [], [], []]);
    }
  });
});
