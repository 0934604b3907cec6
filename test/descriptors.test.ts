/**
 * Parity of the 200 raw rdkit_2d descriptors (src/chem/descriptors) with Python RDKit 2022.09.3 on
 * 810 molecules: the 789 parity molecules (60 from each MoleculeNet/ChEMBL file plus 69 edge cases)
 * and 21 more (source "extra": hydrogen environments, graph hydrogens, infinite Gasteiger charges,
 * known RDKit version differences). Golden values: scripts/fixtures/gen_rdkit2d.py. Each value must agree within |a - b| <= ABS + REL * |b|
 * (NaN only with NaN, infinities exactly), ABS = REL = 1e-6, for every descriptor, Gasteiger-based and
 * Ipc included; the few exceptions below are listed with their reason and a weaker check.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { RDKIT2D_NAMES, rdkit2dOfSmiles } from '../src/chem/descriptors/index.js';
import { loadRDKit } from '../src/chem/rdkit.js';
import { getMolFeatureGenerator } from '../src/data/mol-features.js';
import { InvalidSmilesError } from '../src/errors.js';

interface FixtureMol {
  source: string;
  row: number;
  smiles: string;
  values: (number | string)[];
  raised: string[];
}
const fixture = JSON.parse(
  gunzipSync(
    readFileSync(new URL('../../test/fixtures/descriptors/rdkit2d.json.gz', import.meta.url)),
  ).toString(),
) as { rdkit: string; names: string[]; left_out: string[]; molecules: FixtureMol[] };

const REL = 1e-6;
const ABS = 1e-6;

/**
 * Known, explained mismatches, keyed by "source:row" of the fixture molecule: the descriptor, the
 * reason, and the weaker check that must still hold.
 */
interface Exception {
  name: string;
  why: string;
  check: (got: number, want: number) => boolean;
}
const IPC_WHY =
  'Ipc: RDKit computes the characteristic polynomial with the floating-point Le Verrier-Faddeev-Frame ' +
  'recursion; from about 75 atoms on its coefficients exceed 2^53 and, beyond 80 atoms, lose all ' +
  "precision in RDKit's own numpy/BLAS arithmetic (whose summation order cannot be reproduced), so " +
  'values there agree only in order of magnitude. Up to about 72 atoms they agree to 1e-10.';
const sameMagnitude = (got: number, want: number): boolean =>
  got > 0 && want > 0 && Math.abs(Math.log10(got / want)) < 2;
const METAL_RADICALS_WHY =
  'RDKit 2022.09 gives these metal atoms ([Au] bonded to P and S; [Co-4]) one radical electron; the ' +
  'RDKit.js build used here (2026.09) no longer assigns radicals to them, so the parsed molecule differs.';
const lostRadical = (got: number, want: number): boolean => got === 0 && want === 1;
const RING_SET_WHY =
  'RDKit.js (2026.09) perceives 20 rings (its symmetrized SSSR keeps all 16 equivalent routes of the ' +
  "macrocycle through the para-phenylenes); RDKit 2022.09's ring info holds 9. The ring counts read " +
  'that ring list, and fr_bicyclic (src/chem/fragments.ts, SMARTS ring membership) differs with it.';
const EXCEPTIONS: Record<string, Exception[]> = {
  // 85 to 454 atoms (two cyclic peptides, peptide drugs, actinomycin D).
  'BBBP.csv:810': [{ name: 'Ipc', why: IPC_WHY, check: sameMagnitude }],
  'sider.csv:197': [{ name: 'Ipc', why: IPC_WHY, check: sameMagnitude }],
  'sider.csv:977': [{ name: 'Ipc', why: IPC_WHY, check: sameMagnitude }],
  'sider.csv:1381': [{ name: 'Ipc', why: IPC_WHY, check: sameMagnitude }],
  'clintox.csv:496': [{ name: 'Ipc', why: IPC_WHY, check: sameMagnitude }],
  'clintox.csv:992': [{ name: 'Ipc', why: IPC_WHY, check: sameMagnitude }],
  'clintox.csv:1308': [{ name: 'Ipc', why: IPC_WHY, check: sameMagnitude }],
  // Auranofin, CCP(=[Au]S...)(CC)CC, and a cobalt(III) complex.
  'clintox.csv:1347': [{ name: 'NumRadicalElectrons', why: METAL_RADICALS_WHY, check: lostRadical }],
  'extra:20': [{ name: 'NumRadicalElectrons', why: METAL_RADICALS_WHY, check: lostRadical }],
  // A macrocycle threading four para-phenylene rings.
  'extra:19': [
    { name: 'RingCount', why: RING_SET_WHY, check: (got, want) => got === 20 && want === 9 },
    { name: 'NumAliphaticRings', why: RING_SET_WHY, check: (got, want) => got === 16 && want === 5 },
    { name: 'NumAliphaticHeterocycles', why: RING_SET_WHY, check: (got, want) => got === 16 && want === 5 },
    { name: 'fr_bicyclic', why: RING_SET_WHY, check: (got, want) => got === 0 && want === 4 },
  ],
};

function decode(v: number | string): number {
  if (v === 'nan') return Number.NaN;
  if (v === 'inf') return Number.POSITIVE_INFINITY;
  if (v === '-inf') return Number.NEGATIVE_INFINITY;
  return v as number;
}

function close(got: number, want: number): boolean {
  if (Number.isNaN(want) || Number.isNaN(got)) return Number.isNaN(want) && Number.isNaN(got);
  if (!Number.isFinite(want) || !Number.isFinite(got)) return got === want;
  return Math.abs(got - want) <= ABS + REL * Math.abs(want);
}

before(async () => {
  await loadRDKit();
});

describe('rdkit_2d descriptors match python3-rdkit 2022.09', () => {
  test('the 200 names are descriptastorus RDKit2D columns, in Python sorted() order', () => {
    assert.equal(RDKIT2D_NAMES.length, 200);
    assert.deepEqual([...RDKIT2D_NAMES], fixture.names);
    assert.deepEqual(fixture.left_out, [
      'BCUT2D_CHGHI',
      'BCUT2D_CHGLO',
      'BCUT2D_LOGPHI',
      'BCUT2D_LOGPLOW',
      'BCUT2D_MRHI',
      'BCUT2D_MRLOW',
      'BCUT2D_MWHI',
      'BCUT2D_MWLOW',
    ]);
    assert.equal(RDKIT2D_NAMES.at(-1), 'qed');
    assert.ok(fixture.molecules.length >= 500, `${fixture.molecules.length} molecules`);
  });

  test('every descriptor agrees with RDKit on every molecule (documented exceptions aside)', () => {
    const names = fixture.names;
    const ok = new Int32Array(names.length);
    const unexpected: string[] = [];
    const excused: string[] = [];
    const t0 = performance.now();
    for (const m of fixture.molecules) {
      const got = rdkit2dOfSmiles(m.smiles);
      const key = `${m.source}:${m.row}`;
      const exceptions = EXCEPTIONS[key] ?? [];
      assert.deepEqual(m.raised, [], `${key}: RDKit raised for ${m.raised.join(', ')}`);
      names.forEach((name, i) => {
        const want = decode(m.values[i]!);
        const g = got[i]!;
        if (close(g, want)) {
          ok[i]!++;
          return;
        }
        const ex = exceptions.find((e) => e.name === name);
        if (ex?.check(g, want)) excused.push(`${name} ${key}: got ${g}, RDKit ${want}`);
        else unexpected.push(`${name} ${key} ${m.smiles}: got ${g}, want ${want}`);
      });
    }
    const ms = performance.now() - t0;
    const n = fixture.molecules.length;
    const partial = names.map((name, i) => `${name} ${ok[i]}/${n}`).filter((_, i) => ok[i] !== n);
    console.log(
      `rdkit_2d: ${n} molecules in ${ms.toFixed(0)} ms; ${names.length - partial.length}/${names.length} ` +
        `descriptors match on all molecules; the others: ${partial.join(', ') || 'none'}`,
    );
    if (excused.length) console.log(`documented exceptions:\n${excused.join('\n')}`);
    if (unexpected.length) console.log(unexpected.slice(0, 100).join('\n'));
    assert.equal(unexpected.length, 0, `${unexpected.length} unexpected mismatches`);
    // Every listed exception is still needed (a fixed one should be removed from the list).
    const listed = Object.values(EXCEPTIONS).reduce((k, e) => k + e.length, 0);
    assert.equal(excused.length, listed, 'some documented exceptions now match; remove them');
  });

  test('rdkit2d_normalized from the SMILES alone equals RDKit 2022.09 + scipy (descriptastorus + chemprop)', () => {
    // The generator end to end: our descriptors, our CDFs, NaN → 0, in RDKIT2D_NAMES order, against
    // python3-rdkit's raw values normalized by scipy (scripts/fixtures/gen_rdkit2d_normalized.py).
    const normalized = JSON.parse(
      gunzipSync(
        readFileSync(new URL('../../test/fixtures/descriptors/rdkit2d-normalized.json.gz', import.meta.url)),
      ).toString('utf8'),
    ) as { names: string[]; molecules: { source: string; row: number; smiles: string; values: number[] }[] };
    assert.deepEqual(normalized.names, [...RDKIT2D_NAMES]);
    const gen = getMolFeatureGenerator('rdkit2d_normalized');
    let compared = 0;
    const unexpected: string[] = [];
    for (const m of normalized.molecules) {
      const excused = new Set((EXCEPTIONS[`${m.source}:${m.row}`] ?? []).map((e) => e.name));
      const got = gen.compute(m.smiles);
      m.values.forEach((want, i) => {
        const name = RDKIT2D_NAMES[i]!;
        if (excused.has(name)) return;
        compared++;
        // float32 output; raw values agree to 1e-6, the CDFs to 1e-13.
        if (!(Math.abs(got[i]! - want) <= 2e-6))
          unexpected.push(`${name} ${m.smiles}: got ${got[i]}, want ${want}`);
      });
    }
    assert.ok(normalized.molecules.length >= 100 && compared > 20_000);
    assert.deepEqual(unexpected.slice(0, 20), []);
  });

  test('an unparsable SMILES throws, as withMol does', () => {
    assert.throws(() => rdkit2dOfSmiles('C1CC'), InvalidSmilesError);
    assert.throws(() => rdkit2dOfSmiles(''), InvalidSmilesError);
  });
});
