import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readCsv, streamSmiles } from '../src/data/csv.js';
import { loadDataset, subsetDataset, targetAt } from '../src/data/dataset.js';
import { datasetNames, getDatasetSpec, listDatasets } from '../src/data/registry.js';
import { ConfigError } from '../src/errors.js';
import { NO_SHARED_DATA, SHARED_DATA_DIR } from './helpers/shared-data.js';

// Every load goes through the mirror; an unreachable cache dir proves nothing is downloaded.
const opts = { dataDir: SHARED_DATA_DIR, cacheDir: '/nonexistent/molgrove-cache', offline: true } as const;
const skip = NO_SHARED_DATA;

describe('registry', () => {
  test('names, aliases and lookups', () => {
    const names = listDatasets().map((s) => s.name);
    for (const n of [
      'bbbp',
      'tox21',
      'toxcast',
      'sider',
      'clintox',
      'bace',
      'hiv',
      'muv',
      'esol',
      'freesolv',
      'lipophilicity',
      'qm7',
      'qm8',
      'grover-bbbp',
      'grover-bace',
      'grover-clintox',
      'grover-esol',
      'grover-freesolv',
      'grover-lipo',
      'grover-sider',
      'grover-tox21',
      'chembl24-guacamol-valid',
      'zinc250k-jtvae-valid',
      'zinc250k-jtvae-test',
      'moses-zinc-train10k',
      'moses-zinc-test',
      'moses-zinc-test-scaffolds',
      'grover-tryout',
    ]) {
      assert.ok(names.includes(n), n);
    }
    assert.equal(new Set(names).size, names.length);
    assert.equal(getDatasetSpec('LIPO').name, 'lipophilicity');
    assert.equal(getDatasetSpec(' Tox21 ').name, 'tox21');
    assert.throws(
      () => getDatasetSpec('tox22'),
      (err: unknown) => err instanceof ConfigError && /choose one of: .*bbbp/.test(err.message),
    );
    assert.ok(datasetNames().includes('lipo'));
  });

  test('declared shapes and metrics', () => {
    const tasks: Record<string, number> = {
      tox21: 12,
      toxcast: 617,
      sider: 27,
      muv: 17,
      qm8: 12,
      clintox: 2,
    };
    for (const [name, n] of Object.entries(tasks))
      assert.equal(getDatasetSpec(name).taskColumns.length, n, name);
    for (const s of listDatasets()) {
      assert.match(s.sha256, /^[0-9a-f]{64}$/, s.name);
      assert.match(s.url, /^https:\/\//, s.name);
      assert.ok(s.description.length > 0 && !s.description.includes('\n'), s.name);
      assert.equal(new Set(s.taskColumns).size, s.taskColumns.length, `${s.name}: duplicate task column`);
      const expected =
        s.taskType === 'classification'
          ? 'auc'
          : s.taskType === 'unlabelled'
            ? null
            : ['qm7', 'qm8'].includes(s.name)
              ? 'mae'
              : 'rmse';
      assert.equal(s.metric, expected, s.name);
      assert.equal(s.taskType === 'unlabelled', s.taskColumns.length === 0, s.name);
    }
    assert.match(
      getDatasetSpec('bbbp').url,
      /^https:\/\/deepchemdata\.s3-us-west-1\.amazonaws\.com\/datasets\/BBBP\.csv$/,
    );
    assert.equal(getDatasetSpec('tox21').compression, 'gzip');
    assert.match(
      getDatasetSpec('toxcast').url,
      /chemprop\/chemprop\/f814b63ee66d574d9357366bf6c08c11a1b24478\//,
    );
    assert.match(
      getDatasetSpec('qm8').url,
      /tencent-ailab\/grover\/40b6d97098e4508687912f3c05eca369fc2c6213\//,
    );
  });
});

describe('mirror files match the registry', { skip }, () => {
  for (const spec of listDatasets()) {
    test(spec.name, async () => {
      const path = join(SHARED_DATA_DIR, spec.file);
      const sha = createHash('sha256').update(readFileSync(path)).digest('hex');
      assert.equal(sha, spec.sha256, `${spec.file} sha256`);
      const table = await readCsv(path);
      assert.equal(table.rows.length, spec.rows, `${spec.file} rows`);
      assert.ok(table.header.includes(spec.smilesColumn), `${spec.file} lacks '${spec.smilesColumn}'`);
      for (const c of spec.taskColumns) assert.ok(table.header.includes(c), `${spec.file} lacks '${c}'`);
      const ds = await loadDataset(spec, opts);
      assert.equal(ds.smiles.length, spec.rows);
      assert.equal(ds.targets.length, spec.rows * spec.taskColumns.length);
      assert.deepEqual(ds.taskNames, [...spec.taskColumns]);
      assert.equal(ds.taskType, spec.taskType);
      assert.equal(ds.metric, spec.metric);
      assert.ok(
        ds.smiles.every((s) => s.length > 0 && s.trim() === s),
        'SMILES are non-empty and trimmed',
      );
    });
  }
});

describe('dataset specifics', { skip }, () => {
  test('tox21: 7831×12, NaN for blank labels', async () => {
    const ds = await loadDataset('tox21', opts);
    assert.equal(ds.smiles.length, 7831);
    assert.equal(ds.taskNames.length, 12);
    assert.equal(ds.targets.length, 7831 * 12);
    // First row: 0,0,1,,,0,0,1,0,0,0,0,TOX3021,CCOc1ccc2nc(S(N)(=O)=O)sc2c1
    assert.equal(ds.smiles[0], 'CCOc1ccc2nc(S(N)(=O)=O)sc2c1');
    const row0 = Array.from(ds.targets.subarray(0, 12));
    assert.deepEqual(
      row0.map((v) => (Number.isNaN(v) ? null : v)),
      [0, 0, 1, null, null, 0, 0, 1, 0, 0, 0, 0],
    );
    let missing = 0;
    for (const v of ds.targets) if (Number.isNaN(v)) missing++;
    assert.ok(missing > 1000, `expected many missing labels, got ${missing}`);
    for (const v of ds.targets) assert.ok(Number.isNaN(v) || v === 0 || v === 1);
    assert.equal(targetAt(ds, 0, 2), 1);
  });

  test('HIV: blank line after every row is skipped (41127 rows)', async () => {
    const ds = await loadDataset('hiv', opts);
    assert.equal(ds.smiles.length, 41127);
    assert.equal(ds.smiles[0], 'CCC1=[O+][Cu-3]2([O+]=C(CC)C1)[O+]=C(CC)CC(CC)=[O+]2');
    assert.ok(ds.smiles.every((s) => !s.includes('\n') && !s.includes('\r')));
    assert.ok(ds.targets.every((v) => v === 0 || v === 1));
    const table = await readCsv(join(SHARED_DATA_DIR, 'moleculenet/HIV.csv'));
    assert.equal(table.lines[0], 3);
    assert.equal(table.lines[1], 5);
  });

  test('BBBP: CRLF handled, quoted names with commas', async () => {
    const ds = await loadDataset('bbbp', opts);
    assert.equal(ds.smiles.length, 2050);
    assert.ok(ds.smiles.every((s) => !s.endsWith('\r')));
    assert.equal(ds.smiles[0], '[Cl].CC(C)NCC(O)COc1cccc2ccccc12');
    const table = await readCsv(join(SHARED_DATA_DIR, 'moleculenet/BBBP.csv'));
    assert.deepEqual(table.header, ['num', 'name', 'p_np', 'smiles']);
    assert.equal(table.rows[94]![1], '"1,1,1-Trifluro-2-chloroethane"');
  });

  test('toxcast.csv.gz and muv.csv.gz are read through gunzip', async () => {
    const toxcast = await loadDataset('toxcast', opts);
    assert.equal(toxcast.smiles.length, 8576);
    assert.equal(toxcast.taskNames.length, 617);
    assert.equal(toxcast.smiles[0], '[O-][N+](=O)C1=CC=C(Cl)C=C1');
    const muv = await loadDataset('muv', opts);
    assert.equal(muv.smiles.length, 93087);
    assert.equal(muv.taskNames.length, 17);
    let positives = 0;
    for (const v of muv.targets) if (v === 1) positives++;
    assert.ok(positives > 0 && positives < 1000, `MUV positives ${positives}`);
  });

  test('ESOL: trailing whitespace in SMILES is removed', async () => {
    const ds = await loadDataset('esol', opts);
    assert.equal(ds.smiles[0], 'OCC3OC(OCC2OC(OC(C#N)c1ccccc1)C(O)C(O)C2O)C(O)C(O)C3O');
    assert.ok(Math.abs(ds.targets[0]! - -0.77) < 1e-6);
  });

  test('overrides: bace pIC50 as regression; a subset keeps row order', async () => {
    const ds = await loadDataset('bace', { ...opts, targetColumns: ['pIC50'] });
    assert.equal(ds.taskType, 'regression');
    assert.equal(ds.metric, 'rmse');
    const sub = subsetDataset(ds, [2, 0]);
    assert.deepEqual(sub.smiles, [ds.smiles[2], ds.smiles[0]]);
    assert.equal(sub.targets[1], ds.targets[0]);
  });

  test('streaming a pretraining corpus with a limit', async () => {
    const spec = getDatasetSpec('chembl24-guacamol-valid');
    const first: string[] = [];
    for await (const r of streamSmiles(join(SHARED_DATA_DIR, spec.file), { limit: 3 })) first.push(r.smiles);
    assert.deepEqual(first, [
      'CCCC(=O)NNC(=O)Nc1ccccc1',
      'CC(=O)NC1CCC2(C)C(CCC3(C)C2C(=O)C=C2C4C(C)C(C)CCC4(C)CCC23C)C1(C)C(=O)O',
      'CC(=O)NC(C)Cc1ccc(C#Cc2ccnc(N3CCCC(F)C3)n2)cc1',
    ]);
    let n = 0;
    for await (const _ of streamSmiles(join(SHARED_DATA_DIR, 'moleculenet/muv.csv.gz'))) n++;
    assert.equal(n, 93087);
  });
});
