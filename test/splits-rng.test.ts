/** PyRandom / NumpyRandomState against values printed by CPython 3.11 and NumPy 1.24 (gen_splits.py). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { NumpyRandomState, PyRandom, seedWords } from '../src/data/splits/index.js';

interface PyCase {
  random10: number[];
  shuffle20: number[];
  shuffle1000: number[];
  getrandbits: [number, string][];
  randrange: [number, number][];
  shuffleAfter3: number[];
}
interface NpCase {
  rand10: number[];
  permutation20: number[];
  permutation1000: number[];
  shuffleList300: number[];
  permutationAfter3: number[];
}
const fixture = JSON.parse(
  readFileSync(new URL('../../test/fixtures/splits/rng.json', import.meta.url), 'utf8'),
) as { python: Record<string, PyCase>; numpy: Record<string, NpCase> };

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('PyRandom = CPython random.Random', () => {
  for (const [seedText, c] of Object.entries(fixture.python)) {
    const seed = Number(seedText);
    it(`seed ${seedText}`, () => {
      assert.ok(Number.isSafeInteger(seed));
      let r = new PyRandom(seed);
      assert.deepEqual(
        range(10).map(() => r.random()),
        c.random10,
      );
      assert.deepEqual(new PyRandom(seed).shuffle(range(20)), c.shuffle20);
      assert.deepEqual(new PyRandom(seed).shuffle(range(1000)), c.shuffle1000);
      r = new PyRandom(seed);
      for (const [k, want] of c.getrandbits) {
        const got = k <= 53 ? BigInt(r.getrandbits(k)) : r.getrandbitsBig(k);
        assert.equal(got.toString(), want, `getrandbits(${k})`);
      }
      r = new PyRandom(seed);
      for (const [n, want] of c.randrange) assert.equal(r.randbelow(n), want, `randrange(${n})`);
      r = new PyRandom(seed);
      for (let i = 0; i < 3; i++) r.random();
      assert.deepEqual(r.shuffle(range(50)), c.shuffleAfter3);
    });
  }

  it('seeds with the 32-bit words of |n|, least significant first', () => {
    assert.deepEqual(seedWords(0), [0]);
    assert.deepEqual(seedWords(2 ** 32 + 5), [5, 1]);
    assert.deepEqual(seedWords(-7), [7]);
    assert.deepEqual(seedWords(2n ** 64n + 3n), [3, 0, 1]);
    assert.throws(() => seedWords(1.5), /integer/);
  });

  it('bigint and number seeds agree', () => {
    assert.equal(new PyRandom(123456789n).random(), new PyRandom(123456789).random());
  });
});

describe('NumpyRandomState = np.random.RandomState (legacy)', () => {
  for (const [seedText, c] of Object.entries(fixture.numpy)) {
    const seed = Number(seedText);
    it(`seed ${seedText}`, () => {
      assert.deepEqual([...new NumpyRandomState(seed).rand(10)], c.rand10);
      assert.deepEqual(new NumpyRandomState(seed).permutation(20), c.permutation20);
      assert.deepEqual(new NumpyRandomState(seed).permutation(1000), c.permutation1000);
      assert.deepEqual(new NumpyRandomState(seed).shuffle(range(300)), c.shuffleList300);
      const rs = new NumpyRandomState(seed);
      rs.rand(3);
      assert.deepEqual(rs.permutation(50), c.permutationAfter3);
    });
  }

  it('permuting a list draws like permuting its positions', () => {
    const items = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const order = new NumpyRandomState(7).permutation(items.length);
    assert.deepEqual(
      new NumpyRandomState(7).permutation(items),
      order.map((i) => items[i]),
    );
    assert.deepEqual(items, ['a', 'b', 'c', 'd', 'e', 'f', 'g'], 'input left untouched');
  });

  it('rejects seeds outside [0, 2^32)', () => {
    assert.throws(() => new NumpyRandomState(-1), /2\*\*32/);
    assert.throws(() => new NumpyRandomState(2 ** 32), /2\*\*32/);
  });
});
