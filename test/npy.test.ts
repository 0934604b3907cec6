/** The .npy writer, read back by NumPy when Debian's python3-numpy is installed. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { encodeNpyFloat32 } from '../src/util/npy.js';

const tmp = mkdtempSync(join(tmpdir(), 'molgrove-npy-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const PY = '/usr/bin/python3';
const hasNumpy = spawnSync(PY, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

test('header is padded to a multiple of 64 bytes and ends in a newline', () => {
  const bytes = encodeNpyFloat32(new Float32Array([1, 2, 3, 4, 5, 6]), 2, 3);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const len = bytes[8]! | (bytes[9]! << 8);
  assert.equal((10 + len) % 64, 0);
  assert.equal(bytes[10 + len - 1], 0x0a);
  assert.equal(bytes.length, 10 + len + 24);
  assert.throws(() => encodeNpyFloat32(new Float32Array(5), 2, 3), /2 × 3/);
});

test('numpy.load reads it back', { skip: hasNumpy ? false : `${PY} with numpy not available` }, () => {
  const data = Float32Array.from({ length: 7 * 5 }, (_, i) => (i - 10) / 3);
  data[12] = Number.NaN;
  const path = join(tmp, 'm.npy');
  writeFileSync(path, encodeNpyFloat32(data, 7, 5));
  const py =
    'import json, sys, numpy as np\n' +
    'a = np.load(sys.argv[1])\n' +
    'print(json.dumps({"shape": list(a.shape), "dtype": str(a.dtype), "c": bool(a.flags["C_CONTIGUOUS"]),' +
    ' "v": [None if np.isnan(x) else float(x) for x in a.ravel()]}))';
  const r = spawnSync(PY, ['-c', py, path], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout) as { shape: number[]; dtype: string; c: boolean; v: (number | null)[] };
  assert.deepEqual(got.shape, [7, 5]);
  assert.equal(got.dtype, 'float32');
  assert.equal(got.c, true);
  assert.deepEqual(
    got.v,
    Array.from(data, (x) => (Number.isNaN(x) ? null : x)),
  );
});

test('an empty matrix', { skip: hasNumpy ? false : `${PY} with numpy not available` }, () => {
  const path = join(tmp, 'e.npy');
  writeFileSync(path, encodeNpyFloat32(new Float32Array(0), 0, 4));
  const r = spawnSync(PY, ['-c', 'import sys, numpy as np; print(np.load(sys.argv[1]).shape)', path], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), '(0, 4)');
});
