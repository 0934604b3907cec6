import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Command } from 'commander';
import { addDatasetOptions, loadDatasetFromOptions } from '../src/cli/dataset-options.js';
import { parseColumnList } from '../src/data/csv.js';
import { listDatasets } from '../src/data/registry.js';
import { ConfigError, exitCodeFor, MolgroveError } from '../src/errors.js';
import { NO_SHARED_DATA, REPO_ROOT, SHARED_DATA_DIR } from './helpers/shared-data.js';

const MAIN = join(REPO_ROOT, 'dist/src/cli/main.js');
const tmp = mkdtempSync(join(tmpdir(), 'molgrove-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, MOLGROVE_CACHE_DIR: join(tmp, 'cache'), ...extra };
  delete e['MOLGROVE_OFFLINE'];
  return e;
}

const offline = { dataDir: SHARED_DATA_DIR, cacheDir: join(tmp, 'cache'), offline: true } as const;

describe('molgrove datasets', () => {
  test('--json lists every entry with its mirror source', { skip: NO_SHARED_DATA }, () => {
    const out = execFileSync(process.execPath, [MAIN, 'datasets', '--json'], {
      cwd: REPO_ROOT,
      env: env({ MOLGROVE_DATA_DIR: SHARED_DATA_DIR }),
      encoding: 'utf8',
    });
    const rows = JSON.parse(out) as {
      name: string;
      taskType: string;
      tasks: number;
      rows: number;
      metric: string | null;
      source: { kind: string; path?: string; url?: string };
    }[];
    assert.equal(rows.length, listDatasets().length);
    const tox21 = rows.find((r) => r.name === 'tox21');
    assert.deepEqual(
      { taskType: tox21?.taskType, tasks: tox21?.tasks, rows: tox21?.rows, metric: tox21?.metric },
      { taskType: 'classification', tasks: 12, rows: 7831, metric: 'auc' },
    );
    assert.deepEqual(tox21?.source, { kind: 'mirror', path: join(SHARED_DATA_DIR, 'moleculenet/tox21.csv') });
    for (const r of rows) assert.equal(r.source.kind, 'mirror', r.name);
    assert.equal(rows.find((r) => r.name === 'qm7')?.metric, 'mae');
    assert.equal(rows.find((r) => r.name === 'grover-tryout')?.metric, null);
  });

  test('without a mirror the source is the download URL; table output; --help', () => {
    const e = env({ MOLGROVE_DATA_DIR: join(tmp, 'no-mirror') });
    const rows = JSON.parse(
      execFileSync(process.execPath, [MAIN, 'datasets', '--json', '--group', 'grover'], {
        env: e,
        encoding: 'utf8',
      }),
    ) as { name: string; source: { kind: string; url?: string } }[];
    assert.ok(rows.length === 8 && rows.every((r) => r.name.startsWith('grover-')));
    assert.ok(rows.every((r) => r.source.kind === 'download' && r.source.url?.startsWith('https://')));
    const table = execFileSync(process.execPath, [MAIN, 'datasets'], { env: e, encoding: 'utf8' });
    assert.match(table.split('\n')[0]!, /^name\s+aliases\s+task type\s+tasks\s+rows\s+metric\s+source$/);
    assert.match(table, /^lipophilicity\s+lipo\s+regression\s+1\s+4200\s+rmse\s+download https:/m);
    const help = execFileSync(process.execPath, [MAIN, 'datasets', '--help'], { env: e, encoding: 'utf8' });
    assert.match(help, /--json/);
    assert.match(help, /--group/);
    assert.match(help, /MOLGROVE_DATA_DIR/);
    const bad = spawnSync(process.execPath, [MAIN, 'datasets', '--group', 'nope'], {
      env: e,
      encoding: 'utf8',
    });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /CONFIG: unknown dataset group/);
  });
});

describe('dataset options', () => {
  test('addDatasetOptions adds the shared flags', () => {
    const cmd = addDatasetOptions(new Command('x').exitOverride());
    cmd.parse(['--csv', 'a.csv', '--target-columns', 'a,"b, c"', '--task-type', 'regression'], {
      from: 'user',
    });
    assert.deepEqual(cmd.opts(), { csv: 'a.csv', targetColumns: 'a,"b, c"', taskType: 'regression' });
    assert.deepEqual(parseColumnList('a, "b, c" ,d', '--target-columns'), ['a', 'b, c', 'd']);
    const help = cmd.helpInformation();
    for (const flag of ['--dataset', '--csv', '--smiles-column', '--target-columns', '--task-type']) {
      assert.ok(help.includes(flag), flag);
    }
  });

  test('exit codes: usage 2, runtime 1, a clean stop on Ctrl-C 130', () => {
    assert.equal(exitCodeFor(new ConfigError('x')), 2);
    assert.equal(exitCodeFor(new MolgroveError('IO', 'x')), 1);
    assert.equal(exitCodeFor(new Error('x')), 1);
    assert.equal(exitCodeFor(new MolgroveError('INTERRUPTED', 'x')), 130);
  });

  test('usage mistakes are ConfigErrors (exit code 2)', async () => {
    const isUsage = (err: unknown): boolean => err instanceof ConfigError && exitCodeFor(err) === 2;
    await assert.rejects(loadDatasetFromOptions({ dataset: 'no-such-dataset' }, offline), (err: unknown) => {
      assert.ok(isUsage(err));
      assert.match((err as Error).message, /unknown dataset 'no-such-dataset'; choose one of: .*bbbp/);
      return true;
    });
    await assert.rejects(loadDatasetFromOptions({}, offline), isUsage);
    await assert.rejects(loadDatasetFromOptions({ dataset: 'bbbp', csv: 'x.csv' }, offline), isUsage);
    await assert.rejects(loadDatasetFromOptions({ csv: join(tmp, 'missing.csv') }, offline), isUsage);
    await assert.rejects(loadDatasetFromOptions({ dataset: 'bbbp', taskType: 'ranking' }, offline), isUsage);
  });

  test('--csv with columns and task type', async () => {
    const p = join(tmp, 'user.csv');
    writeFileSync(p, 'id,SMILES,"a, b",c\n1,CCO,1,0.5\n2,CCN,0,\n');
    const ds = await loadDatasetFromOptions(
      { csv: p, smilesColumn: 'SMILES', targetColumns: '"a, b"', taskType: 'classification' },
      offline,
    );
    assert.deepEqual(ds.smiles, ['CCO', 'CCN']);
    assert.deepEqual(ds.taskNames, ['a, b']);
    assert.deepEqual([...ds.targets], [1, 0]);
    await assert.rejects(
      loadDatasetFromOptions({ csv: p, targetColumns: 'nope' }, offline),
      (err: unknown) => err instanceof ConfigError && /"id", "SMILES", "a, b", "c"/.test(err.message),
    );
  });

  test('--dataset from the mirror, with overrides', { skip: NO_SHARED_DATA }, async () => {
    const ds = await loadDatasetFromOptions({ dataset: 'Lipo' }, offline);
    assert.equal(ds.name, 'lipophilicity');
    assert.equal(ds.smiles.length, 4200);
    const bace = await loadDatasetFromOptions(
      { dataset: 'bace', targetColumns: 'pIC50', taskType: 'regression' },
      offline,
    );
    assert.equal(bace.taskType, 'regression');
    assert.deepEqual(bace.taskNames, ['pIC50']);
  });
});
