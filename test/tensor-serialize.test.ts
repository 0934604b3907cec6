/** The safetensors-layout tensor format: byte compatibility, round trips, validation, Node file helpers. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  type DecodedTensor,
  decodeTensors,
  encodeTensors,
  MAX_HEADER_BYTES,
  type MetadataValue,
  SerializeError,
  type TensorEntry,
} from '../src/tensor/serialize.js';
import { loadTensorsFile, saveTensorsFile } from '../src/tensor/serialize-node.js';

interface StCase {
  name: string;
  tensors: Record<string, { dtype: 'F32' | 'I32' | 'F64'; shape: number[]; data: number[] }>;
  metadata: Record<string, string> | null;
  bytes: number[];
}
const { cases } = JSON.parse(
  readFileSync(new URL('../../test/fixtures/optim/safetensors.json', import.meta.url), 'utf8'),
) as { cases: StCase[] };

function toEntry(t: StCase['tensors'][string]): TensorEntry {
  const data =
    t.dtype === 'F32'
      ? Float32Array.from(t.data)
      : t.dtype === 'I32'
        ? Int32Array.from(t.data)
        : Float64Array.from(t.data);
  return { shape: t.shape, data };
}

/** Header JSON of encoded bytes, plus where the data buffer starts. */
function headerOf(bytes: Uint8Array): { n: number; header: Record<string, unknown> } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { n, header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) };
}

/** Builds a file from a header object and a data buffer, padding the header like the writer does. */
function build(header: unknown, data: Uint8Array | number, rawHeader?: string): Uint8Array {
  const text = new TextEncoder().encode(rawHeader ?? JSON.stringify(header));
  const pad = (8 - (text.length % 8)) % 8;
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + text.length + pad + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length + pad), true);
  out.set(text, 8);
  out.fill(0x20, 8 + text.length, 8 + text.length + pad);
  out.set(body, 8 + text.length + pad);
  return out;
}

function expectError(bytes: Uint8Array, code: SerializeError['code'], pattern: RegExp): void {
  assert.throws(
    () => decodeTensors(bytes),
    (e: unknown) => {
      assert.ok(e instanceof SerializeError, `expected SerializeError, got ${e}`);
      assert.equal(e.code, code, e.message);
      assert.match(e.message, pattern);
      return true;
    },
  );
}

describe('byte compatibility with the safetensors layout (hand-built in Python)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const tensors = Object.fromEntries(Object.entries(c.tensors).map(([k, t]) => [k, toEntry(t)]));
      const bytes = encodeTensors(tensors, c.metadata ?? undefined);
      assert.deepEqual([...bytes], c.bytes);
      const decoded = decodeTensors(Uint8Array.from(c.bytes));
      assert.deepEqual(decoded.metadata, c.metadata ?? {});
      assert.deepEqual(Object.keys(decoded.tensors).sort(), Object.keys(c.tensors).sort());
      for (const [name, t] of Object.entries(c.tensors)) {
        const d = decoded.tensors[name]!;
        assert.equal(d.dtype, t.dtype);
        assert.deepEqual(d.shape, t.shape);
        assert.deepEqual([...d.data], t.dtype === 'F32' ? t.data.map(Math.fround) : t.data);
      }
    });
  }
});

describe('round trips', () => {
  const tensors: Record<string, TensorEntry> = {
    'w.f32': {
      shape: [2, 3],
      data: Float32Array.of(1, -2.5, 3e-8, Number.POSITIVE_INFINITY, Number.NaN, -0),
    },
    'i.odd': { shape: [3], data: Int32Array.of(7, -8, 2 ** 31 - 1) },
    'f.odd': { shape: [1, 1, 1], data: Float32Array.of(0.1) },
    'd.f64': { shape: [2], data: Float64Array.of(Math.PI, -1e300) },
    scalar: { shape: [], data: Float32Array.of(42) },
    'empty.f32': { shape: [0], data: new Float32Array(0) },
    'empty.i32': { shape: [3, 0, 2], data: new Int32Array(0) },
    __proto__x: { shape: [1], data: Int32Array.of(1) },
  };

  it('F32/I32/F64, scalars, empty tensors', () => {
    const { tensors: out, metadata } = decodeTensors(encodeTensors(tensors));
    assert.deepEqual(metadata, {});
    assert.deepEqual(Object.keys(out).sort(), Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const d = out[name]!;
      assert.deepEqual(d.shape, t.shape, name);
      assert.equal(d.data.constructor, t.data.constructor, name);
      assert.deepEqual(d.data, t.data, name);
    }
    assert.equal(out['scalar']!.dtype, 'F32');
    assert.equal(out['d.f64']!.dtype, 'F64');
    assert.ok(Object.is(out['w.f32']!.data[5], -0));
  });

  it('metadata: strings stay raw, other JSON values come back parsed', () => {
    const metadata: Record<string, MetadataValue> = {
      format: 'pt',
      numberish: '3',
      epoch: 3,
      lr: 1e-4,
      done: false,
      none: null,
      config: { hidden: 100, acts: ['relu', 'prelu'], nested: { a: [1, 2] } },
      'ünïcode ✓': 'çà',
    };
    const bytes = encodeTensors({ a: { shape: [1], data: Float32Array.of(1) } }, metadata);
    const { header } = headerOf(bytes);
    const raw = header['__metadata__'] as Record<string, unknown>;
    // What other safetensors readers see: a string → string map.
    assert.ok(Object.values(raw).every((v) => typeof v === 'string'));
    assert.equal(raw['epoch'], '3');
    assert.equal(raw['numberish'], '3');
    assert.deepEqual(decodeTensors(bytes).metadata, metadata);
    assert.deepEqual(decodeTensors(encodeTensors({}, {})).metadata, {});
    // Non-string metadata written by another tool is accepted as is.
    const foreign = build({ __metadata__: { n: 5, s: 'x' } }, 0);
    assert.deepEqual(decodeTensors(foreign).metadata, { n: 5, s: 'x' });
  });

  it('alignment: header padded with spaces to 8 bytes, tensors tile the buffer in writer order', () => {
    const bytes = encodeTensors(tensors);
    const { n, header } = headerOf(bytes);
    assert.equal(n % 8, 0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    assert.match(text, /^\{.*\} *$/);
    const entries = Object.entries(header).map(([name, v]) => {
      const e = v as { dtype: string; data_offsets: [number, number] };
      return { name, dtype: e.dtype, begin: e.data_offsets[0], end: e.data_offsets[1] };
    });
    // F64 first, then F32 by name, then I32 by name; contiguous; each offset a multiple of its element size.
    assert.deepEqual(
      entries.map((e) => e.name),
      ['d.f64', 'empty.f32', 'f.odd', 'scalar', 'w.f32', '__proto__x', 'empty.i32', 'i.odd'],
    );
    let cursor = 0;
    for (const e of entries) {
      assert.equal(e.begin, cursor, e.name);
      assert.equal(e.begin % (e.dtype === 'F64' ? 8 : 4), 0, e.name);
      cursor = e.end;
    }
    assert.equal(8 + n + cursor, bytes.length);
  });

  it('copy: false gives views into aligned input; unaligned input is copied', () => {
    const bytes = encodeTensors(tensors);
    const views = decodeTensors(bytes, { copy: false }).tensors;
    assert.equal(views['w.f32']!.data.buffer, bytes.buffer);
    assert.equal(views['d.f64']!.data.buffer, bytes.buffer);
    const copies = decodeTensors(bytes).tensors;
    assert.notEqual(copies['w.f32']!.data.buffer, bytes.buffer);
    // Same bytes starting at an odd address.
    const shifted = new Uint8Array(bytes.length + 3).subarray(3);
    shifted.set(bytes);
    for (const copy of [true, false]) {
      const out = decodeTensors(shifted, { copy }).tensors;
      for (const [name, t] of Object.entries(tensors)) assert.deepEqual(out[name]!.data, t.data, name);
      assert.notEqual(out['w.f32']!.data.buffer, shifted.buffer);
    }
  });

  it('typed arrays that are views into larger buffers encode only their own elements', () => {
    const big = Float32Array.of(9, 1, 2, 3, 9);
    const view = big.subarray(1, 4);
    const out = decodeTensors(encodeTensors({ v: { shape: [3], data: view } })).tensors['v'] as DecodedTensor;
    assert.deepEqual([...out.data], [1, 2, 3]);
  });

  it('names that are object-prototype keys survive', () => {
    const names = ['__proto__', 'constructor', 'toString'];
    const input: Record<string, TensorEntry> = {};
    for (const n of names)
      Object.defineProperty(input, n, { value: { shape: [1], data: Float32Array.of(1) }, enumerable: true });
    const out = decodeTensors(encodeTensors(input)).tensors;
    assert.deepEqual(Object.keys(out).sort(), [...names].sort());
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
  });
});

describe('decode validation', () => {
  const good = encodeTensors({
    a: { shape: [2], data: Float32Array.of(1, 2) },
    b: { shape: [1], data: Int32Array.of(3) },
  });

  it('truncated files', () => {
    expectError(new Uint8Array(0), 'TRUNCATED', /8-byte header length/);
    expectError(good.subarray(0, 5), 'TRUNCATED', /truncated/);
    expectError(good.subarray(0, 20), 'TRUNCATED', /header bytes/);
    expectError(good.subarray(0, good.length - 1), 'BAD_OFFSETS', /out of range.*truncated file/);
  });

  it('header too large', () => {
    const b = new Uint8Array(16);
    new DataView(b.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES + 8), true);
    expectError(b, 'HEADER_TOO_LARGE', /exceeds/);
    new DataView(b.buffer).setBigUint64(0, 2n ** 40n, true);
    expectError(b, 'HEADER_TOO_LARGE', /exceeds/);
  });

  it('bad header JSON', () => {
    expectError(build(null, 0, '{"a": '), 'BAD_HEADER', /not valid JSON/);
    expectError(build(null, 0, '[1, 2]'), 'BAD_HEADER', /start with/);
    expectError(build(null, 0, ' {}'), 'BAD_HEADER', /start with/);
    const badUtf8 = build(null, 0, '{"a":"xx"}');
    badUtf8[14] = 0xff;
    expectError(badUtf8, 'BAD_HEADER', /UTF-8/);
    expectError(build({ a: 5 }, 0), 'BAD_HEADER', /entry must be an object/);
    expectError(build({ a: { shape: [1], data_offsets: [0, 4] } }, 4), 'BAD_HEADER', /missing dtype/);
    expectError(
      build({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4),
      'BAD_HEADER',
      /invalid dimension/,
    );
    expectError(
      build({ a: { dtype: 'F32', shape: 3, data_offsets: [0, 4] } }, 4),
      'BAD_HEADER',
      /shape must be an array/,
    );
    expectError(
      build({ a: { dtype: 'F32', shape: [1], data_offsets: [0] } }, 4),
      'BAD_HEADER',
      /data_offsets/,
    );
    expectError(
      build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 2.5] } }, 4),
      'BAD_HEADER',
      /data_offsets/,
    );
    expectError(build({ __metadata__: [1] }, 0), 'BAD_HEADER', /__metadata__/);
    expectError(
      build({ __metadata__: { 'molgrove.json_keys': '["x"]', x: '{bad' } }, 0),
      'BAD_HEADER',
      /does not parse/,
    );
  });

  it('unknown and unsupported dtypes', () => {
    expectError(
      build({ a: { dtype: 'F17', shape: [1], data_offsets: [0, 4] } }, 4),
      'UNKNOWN_DTYPE',
      /unknown dtype 'F17'/,
    );
    expectError(
      build({ a: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, 4),
      'UNKNOWN_DTYPE',
      /unsupported dtype 'F16'/,
    );
  });

  it('offsets out of range, reversed, overlapping, with gaps or trailing bytes', () => {
    const f32 = (begin: number, end: number, n = (end - begin) / 4) => ({
      dtype: 'F32',
      shape: [n],
      data_offsets: [begin, end],
    });
    expectError(build({ a: f32(0, 8) }, 4), 'BAD_OFFSETS', /out of range/);
    expectError(
      build({ a: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, 4),
      'BAD_OFFSETS',
      /end before begin/,
    );
    expectError(build({ a: f32(0, 8), b: f32(4, 12) }, 12), 'BAD_OFFSETS', /overlap tensor/);
    expectError(build({ a: f32(0, 4), b: f32(8, 12) }, 12), 'BAD_OFFSETS', /gap of 4 bytes/);
    expectError(build({ a: f32(0, 4) }, 12), 'BAD_OFFSETS', /8 bytes after the last tensor/);
    expectError(build({}, 4), 'BAD_OFFSETS', /4 bytes after/);
    // Empty tensors sharing an offset with their neighbours are fine.
    const ok = decodeTensors(build({ a: f32(0, 4), e: f32(4, 4), b: f32(4, 8) }, 8));
    assert.deepEqual(ok.tensors['e']!.shape, [0]);
  });

  it('shape × dtype size mismatch', () => {
    expectError(
      build({ a: { dtype: 'F64', shape: [2], data_offsets: [0, 8] } }, 8),
      'SIZE_MISMATCH',
      /needs 16 bytes but data_offsets span 8/,
    );
    expectError(
      build({ a: { dtype: 'I32', shape: [], data_offsets: [0, 0] } }, 0),
      'SIZE_MISMATCH',
      /needs 4 bytes/,
    );
  });

  it('encode rejects invalid input', () => {
    const bad = (tensors: Record<string, unknown>, metadata?: Record<string, unknown>) => () =>
      encodeTensors(tensors as Record<string, TensorEntry>, metadata as Record<string, MetadataValue>);
    assert.throws(bad({ a: { shape: [3], data: new Float32Array(2) } }), /needs 3 values but data has 2/);
    assert.throws(bad({ a: { shape: [1], data: [1] } }), /Float32Array, Int32Array or Float64Array/);
    assert.throws(bad({ a: { shape: [1], data: new Uint8Array(1) } }), SerializeError);
    assert.throws(bad({ a: { shape: [1.5], data: new Float32Array(1) } }), /invalid dimension/);
    assert.throws(
      bad({ __metadata__: { shape: [1], data: new Float32Array(1) } }),
      /cannot be a tensor name/,
    );
    assert.throws(bad({}, { 'molgrove.json_keys': 'x' }), /reserved/);
    assert.throws(bad({}, { x: Number.NaN }), /not representable/);
  });
});

describe('Node file helpers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'molgrove-serialize-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const tensors = {
    w: { shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) },
    i: { shape: [1], data: Int32Array.of(5) },
  };

  it('save then load; overwrite atomically without leftovers', async () => {
    const path = join(dir, 'model.safetensors');
    await saveTensorsFile(path, tensors, { epoch: 1 });
    let loaded = await loadTensorsFile(path);
    assert.deepEqual(loaded.tensors['w']!.data, tensors.w.data);
    assert.deepEqual(loaded.metadata, { epoch: 1 });
    await saveTensorsFile(path, { w: { shape: [1], data: Float32Array.of(9) } }, { epoch: 2 });
    loaded = await loadTensorsFile(path);
    assert.deepEqual(Object.keys(loaded.tensors), ['w']);
    assert.deepEqual(loaded.metadata, { epoch: 2 });
    assert.deepEqual(readdirSync(dir), ['model.safetensors']);
  });

  it('a failed encode leaves the old file and no temp file', async () => {
    const path = join(dir, 'keep.safetensors');
    await saveTensorsFile(path, tensors);
    const before = readFileSync(path);
    await assert.rejects(
      saveTensorsFile(path, { bad: { shape: [3], data: new Float32Array(1) } }),
      SerializeError,
    );
    assert.deepEqual(readFileSync(path), before);
    assert.ok(readdirSync(dir).every((f) => !f.endsWith('.tmp')));
  });

  it('load errors name the file', async () => {
    const path = join(dir, 'broken.safetensors');
    writeFileSync(path, new Uint8Array(3));
    await assert.rejects(loadTensorsFile(path), (e: unknown) => {
      assert.ok(e instanceof SerializeError);
      assert.equal(e.code, 'TRUNCATED');
      assert.ok(e.message.startsWith(path));
      return true;
    });
    await assert.rejects(saveTensorsFile(join(dir, 'no', 'such', 'dir.bin'), tensors), { code: 'ENOENT' });
  });
});
