import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { loadDataset } from '../src/data/dataset.js';
import {
  clearChecksumCache,
  describeSource,
  type FetchableSpec,
  resolveDatasetFile,
} from '../src/data/fetch.js';
import type { DatasetSpec } from '../src/data/registry.js';
import { DatasetError } from '../src/errors.js';

const CSV = 'smiles,y\nCCO,1\nCCN,0\n\nc1ccccc1,\n';
const SHA = createHash('sha256').update(CSV).digest('hex');

const tmp = mkdtempSync(join(tmpdir(), 'molgrove-fetch-'));
let server: Server;
let base = '';
const hits: Record<string, number> = {};

before(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '/';
    hits[url] = (hits[url] ?? 0) + 1;
    if (url === '/small.csv' || url === '/wrong-sha.csv') {
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.end(CSV);
    } else if (url === '/small.csv.gz') {
      res.writeHead(200, { 'content-type': 'application/gzip' });
      res.end(gzipSync(CSV));
    } else {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(tmp, { recursive: true, force: true });
});

let n = 0;
/** Fresh directories per test so caches never leak between cases. */
function dirs(): { dataDir: string; cacheDir: string } {
  n++;
  return { dataDir: join(tmp, `mirror${n}`), cacheDir: join(tmp, `cache${n}`) };
}

function spec(over: Partial<FetchableSpec> & { url: string }): FetchableSpec {
  return { name: 'tiny', file: 'sub/tiny.csv', sha256: SHA, ...over };
}

describe('resolveDatasetFile', () => {
  test('downloads, verifies and caches; the second call does not download', async () => {
    const d = dirs();
    const s = spec({ url: `${base}/small.csv` });
    assert.equal(describeSource(s, d).kind, 'download');
    const before = hits['/small.csv'] ?? 0;
    const path = await resolveDatasetFile(s, { ...d, offline: false });
    assert.equal(path, join(d.cacheDir, 'sub/tiny.csv'));
    assert.equal(readFileSync(path, 'utf8'), CSV);
    assert.equal(hits['/small.csv'], before + 1);
    assert.deepEqual(describeSource(s, d), { kind: 'cache', path });
    assert.equal(await resolveDatasetFile(s, { ...d, offline: false }), path);
    assert.equal(hits['/small.csv'], before + 1);
    // Cached files serve offline requests.
    assert.equal(await resolveDatasetFile(s, { ...d, offline: true }), path);
  });

  test('gzip downloads are decompressed before the checksum', async () => {
    const d = dirs();
    const s = spec({ url: `${base}/small.csv.gz`, compression: 'gzip' });
    const path = await resolveDatasetFile(s, { ...d, offline: false });
    assert.equal(readFileSync(path, 'utf8'), CSV);
  });

  test('checksum mismatch → DatasetError with URL, expected/actual, hint; nothing cached', async () => {
    const d = dirs();
    const s = spec({ url: `${base}/wrong-sha.csv`, sha256: '0'.repeat(64) });
    await assert.rejects(resolveDatasetFile(s, { ...d, offline: false }), (err: unknown) => {
      assert.ok(err instanceof DatasetError);
      assert.match(err.message, /wrong-sha\.csv/);
      assert.match(err.message, new RegExp(`expected sha256 0{64}, got ${SHA}`));
      assert.match(err.message, /MOLGROVE_DATA_DIR/);
      return true;
    });
    assert.equal(existsSync(join(d.cacheDir, 'sub/tiny.csv')), false);
  });

  test('HTTP errors → DatasetError naming the URL', async () => {
    const d = dirs();
    const s = spec({ url: `${base}/missing.csv` });
    await assert.rejects(
      resolveDatasetFile(s, { ...d, offline: false }),
      (err: unknown) =>
        err instanceof DatasetError && /missing\.csv/.test(err.message) && /404/.test(err.message),
    );
  });

  test('offline mode refuses to download (option and MOLGROVE_OFFLINE=1)', async () => {
    const d = dirs();
    const s = spec({ url: `${base}/small.csv` });
    const before = hits['/small.csv'] ?? 0;
    await assert.rejects(
      resolveDatasetFile(s, { ...d, offline: true }),
      (err: unknown) =>
        err instanceof DatasetError && /offline/.test(err.message) && /MOLGROVE_DATA_DIR/.test(err.message),
    );
    const saved = process.env['MOLGROVE_OFFLINE'];
    process.env['MOLGROVE_OFFLINE'] = '1';
    try {
      await assert.rejects(resolveDatasetFile(s, d), DatasetError);
    } finally {
      if (saved === undefined) delete process.env['MOLGROVE_OFFLINE'];
      else process.env['MOLGROVE_OFFLINE'] = saved;
    }
    assert.equal(hits['/small.csv'] ?? 0, before);
  });

  test('a mirror file is preferred over cache and download, and verified', async () => {
    const d = dirs();
    const s = spec({ url: `${base}/small.csv` });
    const mirrored = join(d.dataDir, 'sub/tiny.csv');
    mkdirSync(join(d.dataDir, 'sub'), { recursive: true });
    writeFileSync(mirrored, CSV);
    const before = hits['/small.csv'] ?? 0;
    assert.deepEqual(describeSource(s, d), { kind: 'mirror', path: mirrored });
    assert.equal(await resolveDatasetFile(s, { ...d, offline: false }), mirrored);
    assert.equal(hits['/small.csv'] ?? 0, before);

    // A changed mirror file (new size) is re-hashed and rejected.
    writeFileSync(mirrored, `${CSV}CC,1\n`);
    clearChecksumCache();
    await assert.rejects(
      resolveDatasetFile(s, { ...d, offline: false }),
      (err: unknown) =>
        err instanceof DatasetError &&
        err.message.includes(mirrored) &&
        err.message.includes(`expected ${SHA}`),
    );
  });

  test('a damaged cache entry is replaced by a fresh download', async () => {
    const d = dirs();
    const s = spec({ url: `${base}/small.csv` });
    const cached = join(d.cacheDir, 'sub/tiny.csv');
    mkdirSync(join(d.cacheDir, 'sub'), { recursive: true });
    writeFileSync(cached, 'garbage');
    assert.equal(await resolveDatasetFile(s, { ...d, offline: false }), cached);
    assert.equal(readFileSync(cached, 'utf8'), CSV);
  });

  test('MOLGROVE_DATA_DIR and MOLGROVE_CACHE_DIR are read from the environment', async () => {
    const d = dirs();
    mkdirSync(join(d.dataDir, 'sub'), { recursive: true });
    writeFileSync(join(d.dataDir, 'sub/tiny.csv'), CSV);
    const saved = { data: process.env['MOLGROVE_DATA_DIR'], cache: process.env['MOLGROVE_CACHE_DIR'] };
    process.env['MOLGROVE_DATA_DIR'] = d.dataDir;
    process.env['MOLGROVE_CACHE_DIR'] = d.cacheDir;
    try {
      const s = spec({ url: `${base}/small.csv` });
      assert.equal(await resolveDatasetFile(s, { offline: true }), join(d.dataDir, 'sub/tiny.csv'));
      const other = spec({ url: `${base}/small.csv`, file: 'other/tiny.csv' });
      assert.deepEqual(describeSource(other), {
        kind: 'download',
        url: `${base}/small.csv`,
        path: join(d.cacheDir, 'other/tiny.csv'),
      });
    } finally {
      for (const [k, v] of [
        ['MOLGROVE_DATA_DIR', saved.data],
        ['MOLGROVE_CACHE_DIR', saved.cache],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  test('loadDataset end to end from a download', async () => {
    const d = dirs();
    const full: DatasetSpec = {
      name: 'tiny',
      aliases: [],
      group: 'moleculenet',
      file: 'tiny.csv.gz.csv',
      url: `${base}/small.csv.gz`,
      compression: 'gzip',
      sha256: SHA,
      smilesColumn: 'smiles',
      taskColumns: ['y'],
      taskType: 'classification',
      metric: 'auc',
      rows: 3,
      description: 'test',
    };
    const ds = await loadDataset(full, { ...d, offline: false });
    assert.deepEqual(ds.smiles, ['CCO', 'CCN', 'c1ccccc1']);
    assert.deepEqual([...ds.targets.subarray(0, 2)], [1, 0]);
    assert.ok(Number.isNaN(ds.targets[2]!));
  });
});
