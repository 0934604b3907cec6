// Shared optimizer machinery: the structural parameter interface, parameter groups, the abstract
// Optimizer base (groups, zeroGrad, learning-rate setters, state dicts) and conversions of a state
// dict to/from named tensors for checkpoint files. Imports nothing outside src/tensor.

/**
 * What an optimizer needs from a parameter. molgrove's `Parameter` satisfies it structurally.
 * `grad === null` means "no gradient this step": optimizers skip the parameter (its per-parameter
 * step count does not advance, as in torch), while LR schedules still advance.
 */
export interface OptimParam {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
  grad: Float32Array | null;
}

/** Thrown for invalid optimizer/schedule configuration and mismatched state dicts. */
export class OptimError extends Error {
  override readonly name = 'OptimError';
}

/** Hyperparameters every optimizer has. Values must be JSON-able (they go into state dicts). */
export interface BaseHyper {
  lr: number;
  weightDecay: number;
  maximize: boolean;
}

/** A parameter group as given to a constructor: params plus optional overrides of the defaults. */
export type GroupSpec<H> = { readonly params: readonly OptimParam[] } & { readonly [K in keyof H]?: H[K] };

/**
 * A live parameter group (torch's `param_groups[i]`): the hyperparameters are mutable, `lr` is what
 * the next `step()` uses, and `initialLr` is the group's base lr that schedules and `setLr` scale
 * (torch's `initial_lr`).
 */
export type ParamGroup<H extends BaseHyper> = H & {
  readonly params: readonly OptimParam[];
  initialLr: number;
};

/** Per-parameter optimizer state. Buffers are float32 like torch's state tensors. */
export interface ParamState {
  /** Number of steps this parameter took (steps with a gradient). */
  step: number;
  readonly buffers: Record<string, Float32Array>;
}

/** JSON-able description of one group in a state dict. */
export interface GroupStateDict {
  readonly hyper: Readonly<Record<string, number | boolean | readonly number[]>>;
  readonly initialLr: number;
  /** Names of the group's params (informational; loading matches by position and size). */
  readonly paramNames: readonly string[];
}

/**
 * Everything needed to resume an optimizer bit-exactly: group hyperparameters (including the current
 * lr), and for each parameter in flattened group order its step count and moment buffers (copies).
 * `state[i] === null` when parameter i never took a step.
 */
export interface OptimizerStateDict {
  readonly kind: string;
  readonly groups: readonly GroupStateDict[];
  readonly state: readonly (ParamState | null)[];
}

function isGroupSpec(x: unknown): x is GroupSpec<unknown> {
  return (
    typeof x === 'object' && x !== null && 'params' in x && Array.isArray((x as { params: unknown }).params)
  );
}

function sameSize(a: readonly OptimParam[], i: number, size: number): void {
  const p = a[i];
  if (p && p.data.length !== size) {
    throw new OptimError(
      `state for param ${i} ('${p.name}') has ${size} values but the param has ${p.data.length}`,
    );
  }
}

/**
 * Base class of SGD/Adam/AdamW. Subclasses implement `validate` (hyperparameter checks) and `step`.
 * Construct with either a list of params (one group) or a list of groups with per-group overrides.
 */
export abstract class Optimizer<H extends BaseHyper> {
  abstract readonly kind: string;
  readonly defaults: Readonly<H>;
  readonly groups: ParamGroup<H>[];
  /** State per param, indexed like `this.params` (flattened group order); null until its first step. */
  protected readonly state: (ParamState | null)[];
  /** All params in flattened group order. */
  readonly params: readonly OptimParam[];

  protected constructor(params: readonly OptimParam[] | readonly GroupSpec<H>[], defaults: H) {
    this.defaults = Object.freeze({ ...defaults });
    const specs: readonly GroupSpec<H>[] =
      params.length > 0 && isGroupSpec(params[0])
        ? (params as readonly GroupSpec<H>[])
        : [{ params: params as readonly OptimParam[] } as GroupSpec<H>];
    if (params.length === 0) throw new OptimError('optimizer got an empty parameter list');
    const seen = new Set<OptimParam>();
    const flat: OptimParam[] = [];
    this.groups = specs.map((spec, gi) => {
      if (!isGroupSpec(spec)) throw new OptimError(`group ${gi} is not a { params } object`);
      const hyper = { ...defaults } as H;
      for (const key of Object.keys(spec) as (keyof H & string)[]) {
        if ((key as string) === 'params') continue;
        if (!(key in defaults)) throw new OptimError(`group ${gi}: unknown option '${key}'`);
        const v = spec[key];
        if (v !== undefined) hyper[key] = v as H[typeof key];
      }
      for (const key of Object.keys(hyper) as (keyof H & string)[]) {
        const v = hyper[key];
        if (Array.isArray(v)) hyper[key] = [...v] as H[typeof key];
      }
      this.validate(hyper, `group ${gi}`);
      for (const p of spec.params) {
        if (seen.has(p)) throw new OptimError(`param '${p.name}' appears in more than one group`);
        seen.add(p);
        flat.push(p);
      }
      return { ...hyper, params: [...spec.params], initialLr: hyper.lr } as ParamGroup<H>;
    });
    this.params = flat;
    this.state = flat.map(() => null);
  }

  /** Throws OptimError for invalid hyperparameters; `where` names the group in messages. */
  protected abstract validate(h: H, where: string): void;

  /** Applies one update to every param that has a gradient. */
  abstract step(): void;

  /** Fills every existing gradient with 0 (buffers are kept; params without a grad stay null). */
  zeroGrad(): void {
    for (const p of this.params) p.grad?.fill(0);
  }

  /**
   * Sets the lr relative to each group's base: group.lr = lr · group.initialLr / defaults.lr. With a
   * single group (or groups that did not override lr) this is simply group.lr = lr; a group created
   * with a 10× smaller lr stays 10× smaller. When defaults.lr is 0 every group gets `lr`.
   */
  setLr(lr: number): void {
    const base = this.defaults.lr;
    for (const g of this.groups) g.lr = base === 0 ? lr : (lr * g.initialLr) / base;
  }

  /** group.lr = factor · group.initialLr for every group (what torch's LambdaLR does). */
  setLrFactor(factor: number): void {
    for (const g of this.groups) g.lr = factor * g.initialLr;
  }

  /** The lr each group will use on the next step. */
  lrs(): number[] {
    return this.groups.map((g) => g.lr);
  }

  /** The state of param `i` (flattened order), allocating its buffers on first use. */
  protected stateFor(i: number, names: readonly string[]): ParamState {
    let s = this.state[i];
    const n = this.params[i]!.data.length;
    if (!s) {
      s = { step: 0, buffers: {} };
      this.state[i] = s;
    }
    for (const name of names) if (!s.buffers[name]) s.buffers[name] = new Float32Array(n);
    return s;
  }

  /** Copies of the hyperparameters, lrs, step counts and buffers (safe to keep while training goes on). */
  stateDict(): OptimizerStateDict {
    const groups = this.groups.map((g) => {
      const hyper: Record<string, number | boolean | readonly number[]> = {};
      for (const key of Object.keys(this.defaults)) {
        const v = (g as unknown as Record<string, number | boolean | readonly number[]>)[key]!;
        hyper[key] = Array.isArray(v) ? [...(v as number[])] : v;
      }
      return { hyper, initialLr: g.initialLr, paramNames: g.params.map((p) => p.name) };
    });
    const state = this.state.map((s) => {
      if (!s) return null;
      const buffers: Record<string, Float32Array> = {};
      for (const [k, v] of Object.entries(s.buffers)) buffers[k] = v.slice();
      return { step: s.step, buffers };
    });
    return { kind: this.kind, groups, state };
  }

  /**
   * Restores a state dict from `stateDict()` of an optimizer of the same kind built over params with the
   * same group structure and sizes (names are not compared). Buffers are copied in.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    if (sd.kind !== this.kind) throw new OptimError(`state dict is for ${sd.kind}, not ${this.kind}`);
    if (sd.groups.length !== this.groups.length) {
      throw new OptimError(`state dict has ${sd.groups.length} groups, optimizer has ${this.groups.length}`);
    }
    sd.groups.forEach((gs, gi) => {
      const n = this.groups[gi]!.params.length;
      if (gs.paramNames.length !== n) {
        throw new OptimError(
          `group ${gi}: state dict has ${gs.paramNames.length} params, optimizer has ${n}`,
        );
      }
    });
    if (sd.state.length !== this.params.length) {
      throw new OptimError(
        `state dict has state for ${sd.state.length} params, optimizer has ${this.params.length}`,
      );
    }
    sd.state.forEach((s, i) => {
      if (s) for (const b of Object.values(s.buffers)) sameSize(this.params, i, b.length);
    });
    // Validate everything before mutating anything.
    const hypers = sd.groups.map((gs, gi) => {
      const h = { ...this.defaults } as H;
      for (const [k, v] of Object.entries(gs.hyper)) {
        if (!(k in this.defaults)) throw new OptimError(`group ${gi}: unknown option '${k}' in state dict`);
        (h as Record<string, unknown>)[k] = Array.isArray(v) ? [...v] : v;
      }
      this.validate(h, `state dict group ${gi}`);
      return h;
    });
    hypers.forEach((h, gi) => {
      const g = this.groups[gi]!;
      Object.assign(g, h);
      g.initialLr = sd.groups[gi]!.initialLr;
    });
    sd.state.forEach((s, i) => {
      if (!s) {
        this.state[i] = null;
        return;
      }
      const buffers: Record<string, Float32Array> = {};
      for (const [k, v] of Object.entries(s.buffers)) buffers[k] = Float32Array.from(v);
      this.state[i] = { step: s.step, buffers };
    });
  }
}

/** A tensor as `encodeTensors` takes it (kept structural so optim does not depend on serialize). */
export interface NamedFloatTensor {
  shape: number[];
  data: Float32Array;
}

/**
 * Flattens a state dict into float32 tensors named `optim.state.<i>.<buffer>` plus one JSON string
 * (`optim`) holding kind, groups and step counts, ready for `encodeTensors(tensors, metadata)`.
 */
export function stateDictToTensors(sd: OptimizerStateDict): {
  tensors: Record<string, NamedFloatTensor>;
  metadata: Record<string, string>;
} {
  const tensors: Record<string, NamedFloatTensor> = {};
  const steps: (number | null)[] = [];
  const bufferNames: (string[] | null)[] = [];
  sd.state.forEach((s, i) => {
    steps.push(s ? s.step : null);
    bufferNames.push(s ? Object.keys(s.buffers) : null);
    if (s)
      for (const [k, v] of Object.entries(s.buffers))
        tensors[`optim.state.${i}.${k}`] = { shape: [v.length], data: v };
  });
  const meta = { kind: sd.kind, groups: sd.groups, steps, bufferNames };
  return { tensors, metadata: { optim: JSON.stringify(meta) } };
}

/** Inverse of `stateDictToTensors` (the metadata value may be the JSON string or its parsed object). */
export function stateDictFromTensors(
  tensors: Readonly<Record<string, { data: ArrayLike<number> }>>,
  metadata: Readonly<Record<string, unknown>>,
): OptimizerStateDict {
  const raw = metadata['optim'];
  if (raw === undefined) throw new OptimError("metadata has no 'optim' entry");
  const meta = (typeof raw === 'string' ? JSON.parse(raw) : raw) as {
    kind: string;
    groups: GroupStateDict[];
    steps: (number | null)[];
    bufferNames: (string[] | null)[];
  };
  if (typeof meta.kind !== 'string' || !Array.isArray(meta.groups) || !Array.isArray(meta.steps)) {
    throw new OptimError("metadata 'optim' is not an optimizer state description");
  }
  const state = meta.steps.map((step, i) => {
    const names = meta.bufferNames[i];
    if (step === null || !names) return null;
    const buffers: Record<string, Float32Array> = {};
    for (const k of names) {
      const t = tensors[`optim.state.${i}.${k}`];
      if (!t) throw new OptimError(`missing tensor optim.state.${i}.${k}`);
      buffers[k] = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
    }
    return { step, buffers };
  });
  return { kind: meta.kind, groups: meta.groups, state };
}
