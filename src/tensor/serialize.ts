// Tensor files in the safetensors layout (https://github.com/huggingface/safetensors, "Format"), so files
// written here load with the safetensors libraries and vice versa (for the dtypes supported here).
// Works in browsers and Node: no Buffer, only DataView / TextEncoder / TextDecoder.
//
// Layout:
//   bytes [0, 8)        N, the header length, unsigned 64-bit little-endian
//   bytes [8, 8+N)      the header: UTF-8 JSON object, right-padded with spaces (0x20) so that 8+N is a
//                       multiple of 8 (so the data buffer starts 8-byte aligned)
//   bytes [8+N, end)    the data buffer: each tensor's elements, row-major, little-endian
// Header:
//   { "__metadata__": { "<key>": "<string>", ... },                     (optional)
//     "<tensor name>": { "dtype": "F32" | "I32" | "F64", "shape": [d0, d1, ...],
//                        "data_offsets": [begin, end] }, ... }
// `data_offsets` are byte offsets relative to the start of the data buffer, end exclusive. As in the
// reference implementation the tensors tile the buffer exactly (no gaps, no overlap, nothing after the
// last one), and the writer orders them by element size (F64, then F32/I32) and then by name, so every
// tensor starts at a multiple of its own element size within an 8-byte-aligned buffer — typed-array
// views on it need no copy. (Padding between tensors to 8 bytes would leave gaps, which safetensors
// readers reject.) Shape [] is a scalar (1 element); a shape with a 0 is an empty tensor (no bytes).
//
// Metadata: safetensors metadata is a string → string map. Non-string values given to encodeTensors are
// stored as their JSON text and their keys listed (JSON array) under the reserved key
// "molgrove.json_keys"; decodeTensors parses them back. Other readers simply see strings.

export type DType = 'F32' | 'I32' | 'F64';
export type TensorData = Float32Array | Int32Array | Float64Array;

/** A tensor to encode; the dtype follows from the array type. */
export interface TensorEntry {
  readonly shape: readonly number[];
  readonly data: TensorData;
}

export type DecodedTensor =
  | { dtype: 'F32'; shape: number[]; data: Float32Array }
  | { dtype: 'I32'; shape: number[]; data: Int32Array }
  | { dtype: 'F64'; shape: number[]; data: Float64Array };

export type MetadataValue =
  | string
  | number
  | boolean
  | null
  | MetadataValue[]
  | { [key: string]: MetadataValue };

export interface DecodedTensors {
  tensors: Record<string, DecodedTensor>;
  metadata: Record<string, MetadataValue>;
}

export type SerializeErrorCode =
  | 'INVALID_INPUT'
  | 'TRUNCATED'
  | 'HEADER_TOO_LARGE'
  | 'BAD_HEADER'
  | 'UNKNOWN_DTYPE'
  | 'BAD_OFFSETS'
  | 'SIZE_MISMATCH';

/** Every problem found while encoding or decoding; `code` says which kind. */
export class SerializeError extends Error {
  override readonly name = 'SerializeError';
  readonly code: SerializeErrorCode;
  constructor(code: SerializeErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** The largest header accepted, as in the reference implementation (100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;
const JSON_KEYS = 'molgrove.json_keys';
const METADATA = '__metadata__';

const ELEMENT_SIZE: Record<DType, number> = { F64: 8, F32: 4, I32: 4 };
// Writer order: descending safetensors dtype order (F64 > F32 > I32), then name.
const DTYPE_RANK: Record<DType, number> = { F64: 0, F32: 1, I32: 2 };
// Valid safetensors dtypes this module cannot represent (for a clearer error).
const OTHER_SAFETENSORS_DTYPES = new Set([
  'BOOL',
  'U8',
  'I8',
  'F8_E5M2',
  'F8_E4M3',
  'I16',
  'U16',
  'F16',
  'BF16',
  'U32',
  'I64',
  'U64',
]);

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function dtypeOf(data: unknown): DType | null {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Float64Array) return 'F64';
  return null;
}

function checkShape(shape: unknown, where: string, code: SerializeErrorCode): number {
  if (!Array.isArray(shape)) throw new SerializeError(code, `${where}: shape must be an array`);
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new SerializeError(code, `${where}: invalid dimension ${JSON.stringify(d)} in shape`);
    }
    n *= d;
    if (!Number.isSafeInteger(n))
      throw new SerializeError(code, `${where}: shape ${JSON.stringify(shape)} is too large`);
  }
  return n;
}

/** Own enumerable property, also for names like '__proto__' that plain assignment would not store. */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Encodes tensors (+ optional metadata) into safetensors bytes. The output is deterministic: tensors in
 * writer order, metadata keys sorted.
 */
export function encodeTensors(
  tensors: Readonly<Record<string, TensorEntry>>,
  metadata?: Readonly<Record<string, MetadataValue>>,
): Uint8Array {
  const items: { name: string; dtype: DType; shape: number[]; data: TensorData }[] = [];
  for (const [name, t] of Object.entries(tensors)) {
    if (name === METADATA) throw new SerializeError('INVALID_INPUT', `'${METADATA}' cannot be a tensor name`);
    const dtype = dtypeOf(t?.data);
    if (!dtype) {
      throw new SerializeError(
        'INVALID_INPUT',
        `tensor '${name}': data must be a Float32Array, Int32Array or Float64Array`,
      );
    }
    const n = checkShape(t.shape, `tensor '${name}'`, 'INVALID_INPUT');
    if (n !== t.data.length) {
      throw new SerializeError(
        'SIZE_MISMATCH',
        `tensor '${name}': shape ${JSON.stringify(t.shape)} needs ${n} values but data has ${t.data.length}`,
      );
    }
    items.push({ name, dtype, shape: [...t.shape], data: t.data });
  }
  items.sort((a, b) => DTYPE_RANK[a.dtype] - DTYPE_RANK[b.dtype] || compareNames(a.name, b.name));

  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    const meta: Record<string, string> = {};
    const jsonKeys: string[] = [];
    for (const key of Object.keys(metadata).sort(compareNames)) {
      if (key === JSON_KEYS)
        throw new SerializeError('INVALID_INPUT', `metadata key '${JSON_KEYS}' is reserved`);
      const v = metadata[key];
      if (typeof v === 'string') {
        setOwn(meta, key, v);
        continue;
      }
      if (typeof v === 'number' && !Number.isFinite(v)) {
        throw new SerializeError('INVALID_INPUT', `metadata '${key}': ${v} is not representable in JSON`);
      }
      const text = JSON.stringify(v);
      if (text === undefined)
        throw new SerializeError('INVALID_INPUT', `metadata '${key}' is not JSON-serializable`);
      setOwn(meta, key, text);
      jsonKeys.push(key);
    }
    if (jsonKeys.length > 0) meta[JSON_KEYS] = JSON.stringify(jsonKeys);
    header[METADATA] = meta;
  }
  let offset = 0;
  for (const it of items) {
    const nbytes = it.data.length * ELEMENT_SIZE[it.dtype];
    setOwn(header, it.name, { dtype: it.dtype, shape: it.shape, data_offsets: [offset, offset + nbytes] });
    offset += nbytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8;
  const n = json.length + pad;
  if (n > MAX_HEADER_BYTES)
    throw new SerializeError('HEADER_TOO_LARGE', `header of ${n} bytes exceeds ${MAX_HEADER_BYTES}`);

  const out = new Uint8Array(8 + n + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, n, true);
  view.setUint32(4, 0, true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  let pos = 8 + n;
  for (const it of items) {
    const size = ELEMENT_SIZE[it.dtype];
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(it.data.buffer, it.data.byteOffset, it.data.byteLength), pos);
    } else {
      for (let k = 0; k < it.data.length; k++) {
        const at = pos + k * size;
        const v = it.data[k]!;
        if (it.dtype === 'F32') view.setFloat32(at, v, true);
        else if (it.dtype === 'I32') view.setInt32(at, v, true);
        else view.setFloat64(at, v, true);
      }
    }
    pos += it.data.length * size;
  }
  return out;
}

export interface DecodeOptions {
  /**
   * true (default): every tensor gets its own copy of the data. false: tensors are views into `bytes`
   * wherever alignment allows (they then alias the input), copies elsewhere.
   */
  copy?: boolean;
}

interface Entry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

/** Decodes and validates safetensors bytes; throws SerializeError naming the first problem found. */
export function decodeTensors(bytes: Uint8Array, options: DecodeOptions = {}): DecodedTensors {
  if (!(bytes instanceof Uint8Array)) throw new SerializeError('INVALID_INPUT', 'input must be a Uint8Array');
  const copy = options.copy ?? true;
  if (bytes.length < 8) {
    throw new SerializeError(
      'TRUNCATED',
      `truncated file: ${bytes.length} bytes, the 8-byte header length is missing`,
    );
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  if (hi !== 0 || lo > MAX_HEADER_BYTES) {
    throw new SerializeError(
      'HEADER_TOO_LARGE',
      `header length ${hi * 2 ** 32 + lo} exceeds ${MAX_HEADER_BYTES} bytes`,
    );
  }
  const n = lo;
  if (8 + n > bytes.length) {
    throw new SerializeError(
      'TRUNCATED',
      `truncated file: header says ${n} header bytes but only ${bytes.length - 8} follow`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new SerializeError('BAD_HEADER', 'header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw new SerializeError('BAD_HEADER', "header JSON must start with '{'");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SerializeError('BAD_HEADER', `header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SerializeError('BAD_HEADER', 'header JSON must be an object');
  }
  const header = parsed as Record<string, unknown>;
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;

  const metadata = readMetadata(header[METADATA]);
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === METADATA) continue;
    const where = `tensor '${name}'`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new SerializeError(
        'BAD_HEADER',
        `${where}: entry must be an object with dtype, shape and data_offsets`,
      );
    }
    const info = raw as Record<string, unknown>;
    const dtype = info['dtype'];
    if (typeof dtype !== 'string') throw new SerializeError('BAD_HEADER', `${where}: missing dtype`);
    if (!(dtype in ELEMENT_SIZE)) {
      const why = OTHER_SAFETENSORS_DTYPES.has(dtype) ? 'unsupported dtype' : 'unknown dtype';
      throw new SerializeError('UNKNOWN_DTYPE', `${where}: ${why} '${dtype}' (supported: F32, I32, F64)`);
    }
    const count = checkShape(info['shape'], where, 'BAD_HEADER');
    const offs = info['data_offsets'];
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)
    ) {
      throw new SerializeError(
        'BAD_HEADER',
        `${where}: data_offsets must be [begin, end] with integers >= 0`,
      );
    }
    const [begin, end] = offs as [number, number];
    if (end < begin)
      throw new SerializeError('BAD_OFFSETS', `${where}: data_offsets [${begin}, ${end}] end before begin`);
    if (end > dataLen) {
      throw new SerializeError(
        'BAD_OFFSETS',
        `${where}: data_offsets [${begin}, ${end}] out of range: the data buffer has ${dataLen} bytes (truncated file?)`,
      );
    }
    const size = ELEMENT_SIZE[dtype as DType];
    if (end - begin !== count * size) {
      throw new SerializeError(
        'SIZE_MISMATCH',
        `${where}: shape ${JSON.stringify(info['shape'])} × ${dtype} needs ${count * size} bytes but data_offsets span ${end - begin}`,
      );
    }
    entries.push({ name, dtype: dtype as DType, shape: [...(info['shape'] as number[])], begin, end });
  }
  // The tensors must tile the data buffer exactly.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let prev: Entry | null = null;
  for (const e of sorted) {
    if (e.begin < cursor) {
      throw new SerializeError(
        'BAD_OFFSETS',
        `tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] overlap tensor '${prev!.name}' [${prev!.begin}, ${prev!.end}]`,
      );
    }
    if (e.begin > cursor) {
      throw new SerializeError(
        'BAD_OFFSETS',
        `tensor '${e.name}': gap of ${e.begin - cursor} bytes before its data`,
      );
    }
    cursor = e.end;
    prev = e;
  }
  if (cursor !== dataLen) {
    throw new SerializeError(
      'BAD_OFFSETS',
      `the data buffer has ${dataLen - cursor} bytes after the last tensor`,
    );
  }

  const tensors: Record<string, DecodedTensor> = {};
  for (const e of entries) {
    const data = readData(bytes, dv, dataStart, e, copy);
    setOwn(tensors, e.name, { dtype: e.dtype, shape: e.shape, data } as DecodedTensor);
  }
  return { tensors, metadata };
}

function readMetadata(raw: unknown): Record<string, MetadataValue> {
  const out: Record<string, MetadataValue> = {};
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new SerializeError('BAD_HEADER', `'${METADATA}' must be an object`);
  const meta = raw as Record<string, MetadataValue>;
  let jsonKeys: string[] = [];
  const listed = meta[JSON_KEYS];
  if (listed !== undefined) {
    try {
      const keys: unknown = typeof listed === 'string' ? JSON.parse(listed) : listed;
      if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string'))
        throw new Error('not a list of strings');
      jsonKeys = keys as string[];
    } catch (e) {
      throw new SerializeError('BAD_HEADER', `metadata '${JSON_KEYS}' is invalid: ${(e as Error).message}`);
    }
  }
  for (const [k, v] of Object.entries(meta)) if (k !== JSON_KEYS) setOwn(out, k, v);
  for (const k of jsonKeys) {
    const v = out[k];
    if (typeof v !== 'string') continue;
    try {
      setOwn(out, k, JSON.parse(v) as MetadataValue);
    } catch {
      throw new SerializeError('BAD_HEADER', `metadata '${k}' is listed as JSON but does not parse`);
    }
  }
  return out;
}

function readData(bytes: Uint8Array, dv: DataView, dataStart: number, e: Entry, copy: boolean): TensorData {
  const size = ELEMENT_SIZE[e.dtype];
  const count = (e.end - e.begin) / size;
  const start = dataStart + e.begin;
  const abs = bytes.byteOffset + start;
  if (LITTLE_ENDIAN) {
    let buffer: ArrayBufferLike;
    let offset: number;
    if (!copy && abs % size === 0) {
      buffer = bytes.buffer;
      offset = abs;
    } else {
      buffer = bytes.slice(start, start + count * size).buffer; // fresh, aligned copy
      offset = 0;
    }
    if (e.dtype === 'F32') return new Float32Array(buffer, offset, count);
    if (e.dtype === 'I32') return new Int32Array(buffer, offset, count);
    return new Float64Array(buffer, offset, count);
  }
  const out =
    e.dtype === 'F32'
      ? new Float32Array(count)
      : e.dtype === 'I32'
        ? new Int32Array(count)
        : new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const at = start + k * size;
    out[k] =
      e.dtype === 'F32'
        ? dv.getFloat32(at, true)
        : e.dtype === 'I32'
          ? dv.getInt32(at, true)
          : dv.getFloat64(at, true);
  }
  return out;
}
