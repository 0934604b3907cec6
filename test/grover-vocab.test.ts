/**
 * GROVER's contextual-property keys and vocabularies: hand-derived keys, parity with the Python
 * reference (test/fixtures/grover/vocab-small.json from scripts/fixtures/gen_grover_vocab.py, RDKit
 * 2022.09), the vocabulary rules, worker-parallel counting against single-thread counting, and the
 * `build-vocab` CLI run in-process.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { loadRDKit } from '../src/chem/rdkit.js';
import { ConfigError, InvalidSmilesError, MolgroveError } from '../src/errors.js';
import { countContextKeys, countContextKeysInFile } from '../src/pretrain/grover/build.js';
import { contextKeys } from '../src/pretrain/grover/context.js';
import { loadVocabPair, OTHER_INDEX, PAD_INDEX, Vocab } from '../src/pretrain/grover/vocab.js';
import { runCli } from './helpers/cli.js';
import { NO_SHARED_DATA, SHARED_DATA_DIR } from './helpers/shared-data.js';

interface FixtureKeys {
  atoms: string[];
  bonds: string[];
}
interface Fixture {
  rdkit: string;
  hand: { smiles: string; radius1: FixtureKeys; radius2: FixtureKeys }[];
  sources: {
    name: string;
    file: string;
    rows: number;
    radius: number;
    invalid: number[];
    atoms: Record<string, number>;
    bonds: Record<string, number>;
    atomVocab: string[];
    bondVocab: string[];
  }[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../../test/fixtures/grover/vocab-small.json', import.meta.url), 'utf8'),
) as Fixture;

const tmp = mkdtempSync(join(tmpdir(), 'molgrove-vocab-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
before(async () => {
  await loadRDKit();
});

const S = '(SINGLE-STEREONONE-NONE)';
const D = '(DOUBLE-STEREONONE-NONE)';
const A = '(AROMATIC-STEREONONE-NONE)';

/** Keys derived by hand from GROVER's definitions (RDKit's atom and bond order of each SMILES). */
const HAND: Record<string, { atoms: string[]; bonds: string[] }> = {
  // C0 C1(=O2) O3: the methyl sees one C, the carboxyl C sees C, =O and -O; each O sees the carboxyl C.
  // C0-C1: begin C0 has no other bond, end C1 has C1=O2 and C1-O3. C1=O2: C1's others are C0 and O3.
  'CC(=O)O': {
    atoms: ['C_C-SINGLE1', 'C_C-SINGLE1_O-DOUBLE1_O-SINGLE1', 'O_C-DOUBLE1', 'O_C-SINGLE1'],
    bonds: [`${S}_C-${D}1_C-${S}1`, `${D}_C-${S}2`, `${S}_C-${D}1_C-${S}1`],
  },
  // Every atom: two aromatic C neighbours; every bond: two other aromatic bonds, both at a carbon.
  c1ccccc1: {
    atoms: Array(6).fill('C_C-AROMATIC2'),
    bonds: Array(6).fill(`${A}_C-${A}2`),
  },
  // The charge does not enter the key (GetSymbol); the chloride has no neighbours: its bare symbol.
  'C[N+](C)(C)C.[Cl-]': {
    atoms: ['C_N-SINGLE1', 'N_C-SINGLE4', 'C_N-SINGLE1', 'C_N-SINGLE1', 'C_N-SINGLE1', 'Cl'],
    bonds: Array(4).fill(`${S}_N-${S}3`),
  },
  // Z double bond: F0/C1=C2\F3 → bond 0 ENDUPRIGHT, bond 2 ENDDOWNRIGHT (relative to each begin atom).
  'F/C=C\\F': {
    atoms: ['F_C-SINGLE1', 'C_C-DOUBLE1_F-SINGLE1', 'C_C-DOUBLE1_F-SINGLE1', 'F_C-SINGLE1'],
    bonds: [
      '(SINGLE-STEREONONE-ENDUPRIGHT)_C-(DOUBLE-STEREOZ-NONE)1',
      '(DOUBLE-STEREOZ-NONE)_C-(SINGLE-STEREONONE-ENDDOWNRIGHT)1_C-(SINGLE-STEREONONE-ENDUPRIGHT)1',
      '(SINGLE-STEREONONE-ENDDOWNRIGHT)_C-(DOUBLE-STEREOZ-NONE)1',
    ],
  },
};

describe('context keys', () => {
  test('hand-derived keys of acetic acid, benzene, a salt and a Z double bond', () => {
    for (const [smiles, want] of Object.entries(HAND)) {
      assert.deepEqual(contextKeys(smiles), want, smiles);
      const py = fixture.hand.find((h) => h.smiles === smiles);
      assert.ok(py, `${smiles} is in the Python fixture`);
      assert.deepEqual(py.radius1, want, `${smiles}: the Python reference agrees with the hand keys`);
    }
  });

  test('radius 2 (molgrove generalization) by hand: acetic acid', () => {
    assert.deepEqual(contextKeys('CC(=O)O', 2).atoms, [
      'C_C-SINGLE1_d2:O-DOUBLE1_d2:O-SINGLE1',
      'C_C-SINGLE1_O-DOUBLE1_O-SINGLE1',
      'O_C-DOUBLE1_d2:C-SINGLE1_d2:O-SINGLE1',
      'O_C-SINGLE1_d2:C-SINGLE1_d2:O-DOUBLE1',
    ]);
    // C0-C1 at radius 2: nothing lies 2 hops from the bond's ends; C1=O2 sees C1-C0, C1-O3 at 1 hop.
    assert.deepEqual(contextKeys('CC(=O)O', 2).bonds, [
      `${S}_C-${D}1_C-${S}1`,
      `${D}_C-${S}2`,
      `${S}_C-${D}1_C-${S}1`,
    ]);
    assert.deepEqual(contextKeys('CCCO', 2).bonds[0], `${S}_C-${S}1_d2:C-${S}1`);
  });

  test('every hand molecule equals the Python reference at radius 1 and 2', () => {
    for (const h of fixture.hand) {
      assert.deepEqual(contextKeys(h.smiles, 1), h.radius1, `${h.smiles} radius 1`);
      assert.deepEqual(contextKeys(h.smiles, 2), h.radius2, `${h.smiles} radius 2`);
    }
  });

  test('bad radius and bad SMILES', () => {
    assert.throws(() => contextKeys('CCO', 0), ConfigError);
    assert.throws(() => contextKeys('CCO', 1.5), ConfigError);
    assert.throws(() => contextKeys('C1CC', 1), InvalidSmilesError);
  });
});

describe('Vocab', () => {
  const counts = new Map([
    ['b', 3],
    ['a', 3],
    ['c', 5],
    ['d', 1],
    ['e', 2],
  ]);

  test("GROVER's order: count descending, ties in string order, specials first", () => {
    const v = Vocab.fromCounts('atom', counts);
    assert.deepEqual(v.tokens, ['<pad>', '<other>', 'c', 'a', 'b', 'e', 'd']);
    assert.deepEqual(v.counts, [0, 0, 5, 3, 3, 2, 1]);
    assert.equal(v.indexOf('<pad>'), PAD_INDEX);
    assert.equal(v.indexOf('a'), 3);
    assert.equal(v.indexOf('zzz'), OTHER_INDEX);
    assert.deepEqual([...v.encode(['c', 'q', 'd'])], [2, 1, 6]);
    assert.equal(v.tokenAt(2), 'c');
    assert.equal(v.countOf('b'), 3);
    assert.deepEqual(v.dropped, { tokens: 0, occurrences: 0 });
  });

  test('min frequency and max size', () => {
    const f = Vocab.fromCounts('bond', counts, { minFreq: 3 });
    assert.deepEqual(f.tokens, ['<pad>', '<other>', 'c', 'a', 'b']);
    assert.deepEqual(f.dropped, { tokens: 2, occurrences: 3 });
    assert.equal(f.indexOf('e'), OTHER_INDEX);
    const m = Vocab.fromCounts('bond', counts, { maxSize: 2 });
    assert.deepEqual(m.tokens, ['<pad>', '<other>', 'c', 'a']);
    assert.equal(m.size, 4);
    assert.deepEqual(Vocab.fromCounts('atom', counts, { minFreq: 0 }).size, 7); // GROVER: max(min_freq, 1)
    assert.deepEqual(Vocab.fromCounts('atom', counts, { maxSize: 0 }).tokens, ['<pad>', '<other>']);
    assert.throws(() => Vocab.fromCounts('atom', counts, { maxSize: -1 }), ConfigError);
  });

  test('save/load round trip, atomic files, and a corrupt file', async () => {
    const dir = join(tmp, 'roundtrip');
    const atom = Vocab.fromCounts('atom', counts, { minFreq: 2, radius: 2 });
    const bond = Vocab.fromCounts('bond', new Map([['x', 1]]));
    await atom.save(join(dir, 'atom_vocab.json'));
    await bond.save(join(dir, 'bond_vocab.json'));
    const back = await loadVocabPair(dir);
    assert.deepEqual(back.atom.toJson(), atom.toJson());
    assert.deepEqual(back.bond.toJson(), bond.toJson());
    assert.equal(back.atom.radius, 2);
    writeFileSync(join(dir, 'bad.json'), '{"format":"something-else"}');
    await assert.rejects(Vocab.load(join(dir, 'bad.json')), MolgroveError);
    await assert.rejects(loadVocabPair(join(dir, 'missing')), MolgroveError);
  });
});

describe('parity with the Python reference', { skip: NO_SHARED_DATA }, () => {
  for (const src of fixture.sources) {
    test(`${src.name}: counts and vocabularies equal GROVER's rules in Python`, async () => {
      const counts = await countContextKeysInFile(join(SHARED_DATA_DIR, src.file), {
        limit: src.rows,
        radius: src.radius,
        workers: 1,
      });
      assert.equal(counts.rows, src.rows);
      assert.deepEqual(
        counts.invalidRows.map((r) => r.row),
        src.invalid,
      );
      assert.deepEqual(Object.fromEntries([...counts.atoms].sort()), src.atoms);
      assert.deepEqual(Object.fromEntries([...counts.bonds].sort()), src.bonds);
      const atom = Vocab.fromCounts('atom', counts.atoms, { radius: src.radius });
      const bond = Vocab.fromCounts('bond', counts.bonds, { radius: src.radius });
      assert.deepEqual(atom.tokens, src.atomVocab);
      assert.deepEqual(bond.tokens, src.bondVocab);
    });
  }
});

describe('counting', () => {
  const rowsOf = (smiles: string[]) => smiles.map((s, row) => ({ row, line: row + 2, smiles: s }));

  test('worker-parallel counting equals single-thread counting', { skip: NO_SHARED_DATA }, async () => {
    const path = join(SHARED_DATA_DIR, 'pretrain/chembl24_guacamol_v1_valid.smi');
    const options = { limit: 1200, radius: 1 } as const;
    const one = await countContextKeysInFile(path, { ...options, workers: 1 });
    let calls = 0;
    const two = await countContextKeysInFile(path, {
      ...options,
      workers: 2,
      chunkSize: 100,
      onProgress: () => calls++,
    });
    assert.equal(two.workers, 2);
    assert.equal(calls, 12);
    assert.equal(two.molecules, one.molecules);
    assert.deepEqual(new Map([...two.atoms].sort()), new Map([...one.atoms].sort()));
    assert.deepEqual(new Map([...two.bonds].sort()), new Map([...one.bonds].sort()));
    assert.deepEqual(
      Vocab.fromCounts('bond', two.bonds).toJson(),
      Vocab.fromCounts('bond', one.bonds).toJson(),
    );
  });

  test('invalid SMILES are counted and listed by row, or fatal when strict', async () => {
    const smiles = ['CCO', 'xyz', 'c1ccccc1', '', 'C1CC', 'CC(=O)O'];
    const c = await countContextKeys(rowsOf(smiles), { workers: 1, chunkSize: 2 });
    assert.equal(c.rows, 6);
    assert.equal(c.molecules, 3);
    assert.equal(c.invalid, 3);
    assert.deepEqual(c.invalidRows, [
      { row: 1, line: 3, smiles: 'xyz' },
      { row: 3, line: 5, smiles: '' },
      { row: 4, line: 6, smiles: 'C1CC' },
    ]);
    assert.equal(c.atoms.get('C_C-SINGLE1'), 2); // ethanol's methyl and acetic acid's
    const listed = await countContextKeys(rowsOf(smiles), { workers: 1, maxInvalidListed: 1 });
    assert.equal(listed.invalid, 3);
    assert.deepEqual(
      listed.invalidRows.map((r) => r.row),
      [1],
    );
    await assert.rejects(countContextKeys(rowsOf(smiles), { workers: 1, strict: true }), (err: unknown) => {
      assert.ok(err instanceof InvalidSmilesError);
      assert.equal(err.row, 1);
      return true;
    });
  });
});

describe('molgrove build-vocab', () => {
  const MOLS = ['CCO', 'CC(=O)O', 'c1ccccc1', 'not-a-smiles', 'CCN', 'c1ccncc1', 'CC(=O)O', 'F/C=C\\F'];

  test('writes atom_vocab.json and bond_vocab.json equal to the library build; lists invalid rows', async () => {
    const input = join(tmp, 'mols.csv');
    writeFileSync(input, `id,smiles\n${MOLS.map((s, i) => `m${i},${s}`).join('\n')}\n`);
    const out = join(tmp, 'vocab');
    const r = await runCli([
      'build-vocab',
      '--input',
      input,
      '--out',
      out,
      '--workers',
      '1',
      '--min-freq',
      '2',
      '--json',
    ]);
    assert.equal(r.code, 0, r.err);
    const summary = JSON.parse(r.out) as Record<string, unknown>;
    assert.equal(summary['rows'], 8);
    assert.equal(summary['molecules'], 7);
    assert.equal(summary['invalid'], 1);
    assert.equal(typeof summary['moleculesPerSecond'], 'number');
    const { atom, bond } = await loadVocabPair(out);
    const counts = await countContextKeysInFile(input, { workers: 1 });
    assert.deepEqual(atom.toJson(), Vocab.fromCounts('atom', counts.atoms, { minFreq: 2 }).toJson());
    assert.deepEqual(bond.toJson(), Vocab.fromCounts('bond', counts.bonds, { minFreq: 2 }).toJson());
    assert.equal(summary['atomVocabSize'], atom.size);
    assert.equal(summary['bondVocabSize'], bond.size);
    assert.equal(atom.indexOf('C_C-AROMATIC2'), 2); // benzene's 6 + pyridine's 2 make it the most frequent
    const invalid = readFileSync(join(out, 'invalid.csv'), 'utf8');
    assert.equal(invalid, 'row,line,smiles\n3,5,not-a-smiles\n');

    // Human-readable summary, a gzipped .smi input, --limit and --max-size.
    const smi = join(tmp, 'mols.smi.gz');
    writeFileSync(smi, gzipSync(`${MOLS.join('\n')}\n`));
    const out2 = join(tmp, 'vocab2');
    const t = await runCli(['build-vocab', '--input', smi, '--out', out2, '--limit', '3', '--max-size', '2']);
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /atomVocabSize\s+4\n/);
    assert.match(t.out, /moleculesPerSecond\s+\d+/);
    assert.equal(existsSync(join(out2, 'invalid.csv')), false);
    const two = await loadVocabPair(out2);
    assert.deepEqual(two.atom.tokens.slice(2), ['C_C-AROMATIC2', 'C_C-SINGLE1']);
  });

  test('--strict fails on the first invalid row; bad options are usage errors', async () => {
    const input = join(tmp, 'strict.csv');
    writeFileSync(input, 'smiles\nCCO\nxyz\n');
    const s = await runCli([
      'build-vocab',
      '--input',
      input,
      '--out',
      join(tmp, 'strict'),
      '--strict',
      '--workers',
      '1',
    ]);
    assert.equal(s.code, 1);
    assert.match(s.err, /INVALID_SMILES: invalid SMILES at data row 1/);
    assert.equal(existsSync(join(tmp, 'strict', 'atom_vocab.json')), false);
    const bad = await runCli(['build-vocab', '--input', input, '--out', join(tmp, 'x'), '--radius', '0']);
    assert.equal(bad.code, 2);
    const col = await runCli([
      'build-vocab',
      '--input',
      input,
      '--out',
      join(tmp, 'x'),
      '--smiles-column',
      'nope',
    ]);
    assert.equal(col.code, 1);
    assert.match(col.err, /no column 'nope'/);
  });
});
