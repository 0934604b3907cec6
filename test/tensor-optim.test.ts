/** Optimizers, schedules and clipping against PyTorch 1.13 (fixtures from scripts/fixtures/gen_optim.py). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  Adam,
  type AdamHyper,
  AdamW,
  clipGradNorm,
  clipGradValue,
  constantSchedule,
  cosineSchedule,
  type GroupSpec,
  LRScheduler,
  noamSchedule,
  OptimError,
  type Optimizer,
  type OptimParam,
  SGD,
  type SGDHyper,
  stateDictFromTensors,
  stateDictToTensors,
  stepSchedule,
  withWarmup,
} from '../src/tensor/optim/index.js';
import { decodeTensors, encodeTensors } from '../src/tensor/serialize.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../test/fixtures/optim/${name}`, import.meta.url), 'utf8'));

type Kind = 'SGD' | 'Adam' | 'AdamW';
interface OptCase {
  name: string;
  kind: Kind;
  options: Record<string, unknown>;
  groups: { params: number[]; overrides?: Record<string, unknown> }[] | null;
  shapes: number[][];
  init: number[][];
  grads: (number[] | null)[][];
  after: number[][][];
}

/** |a − b| ≤ 1e-6·|b| + 1e-7: float32 rounding of torch's op-by-op arithmetic vs our fused float64 loops. */
function assertClose(
  actual: ArrayLike<number>,
  expected: readonly number[],
  what: string,
  rtol = 1e-6,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let k = 0; k < expected.length; k++) {
    const a = actual[k]!;
    const b = expected[k]!;
    const tol = rtol * Math.abs(b) + 1e-7;
    if (!(Math.abs(a - b) <= tol))
      assert.fail(`${what}[${k}]: ${a} vs torch ${b} (|diff| ${Math.abs(a - b)} > ${tol})`);
  }
}

function makeParams(shapes: readonly number[][], init: readonly number[][]): OptimParam[] {
  return shapes.map((shape, i) => ({ name: `p${i}`, shape, data: Float32Array.from(init[i]!), grad: null }));
}

// biome-ignore lint/suspicious/noExplicitAny: fixture options are plain JSON
function build(kind: Kind, params: readonly OptimParam[] | readonly GroupSpec<any>[], options: any) {
  if (kind === 'SGD') return new SGD(params as readonly GroupSpec<SGDHyper>[], options);
  if (kind === 'Adam') return new Adam(params as readonly GroupSpec<AdamHyper>[], options);
  return new AdamW(params as readonly GroupSpec<AdamHyper>[], options);
}

function buildCase(c: OptCase, params: OptimParam[]) {
  if (!c.groups) return build(c.kind, params, c.options);
  const groups = c.groups.map((g) => ({ params: g.params.map((i) => params[i]!), ...(g.overrides ?? {}) }));
  return build(c.kind, groups, c.options);
}

describe('optimizers match torch.optim', () => {
  const { cases } = fixture('optimizers.json') as { cases: OptCase[] };
  for (const c of cases) {
    it(c.name, () => {
      const params = makeParams(c.shapes, c.init);
      const opt = buildCase(c, params);
      c.grads.forEach((row, step) => {
        row.forEach((g, i) => {
          params[i]!.grad = g === null ? null : Float32Array.from(g);
        });
        opt.step();
        params.forEach((p, i) => {
          assertClose(p.data, c.after[step]![i]!, `${c.name} step ${step} param ${i}`);
        });
      });
    });
  }
  // The element loops round op by op like torch's float32 CPU kernels; against the build that wrote the
  // fixtures (Debian's torch 1.13) that is bit-identical. A fixture regenerated with a torch build that
  // fuses multiply-adds differently may break this test but not the tolerance tests above.
  it('bit-identical to the fixture build', () => {
    for (const c of cases) {
      const params = makeParams(c.shapes, c.init);
      const opt = buildCase(c, params);
      c.grads.forEach((row, step) => {
        row.forEach((g, i) => {
          params[i]!.grad = g === null ? null : Float32Array.from(g);
        });
        opt.step();
        params.forEach((p, i) => {
          assert.deepEqual(
            p.data,
            Float32Array.from(c.after[step]![i]!),
            `${c.name} step ${step} param ${i}`,
          );
        });
      });
    }
  });
});

interface SchedFixture {
  baseLrs: number[];
  step: { options: { stepSize: number; gamma: number }; lrs: number[][] };
  cosine: { options: { tMax: number; etaMin: number }; lrs: number[][] };
  linearWarmup: { options: { warmupSteps: number; startFactor: number }; lrs: number[][] };
  warmupStep: {
    options: { warmupSteps: number; startFactor: number; stepSize: number; gamma: number };
    lrs: number[][];
  };
  warmupCosineShift: {
    options: { warmupSteps: number; startFactor: number; tMax: number; etaMin: number };
    lrs: number[][];
  };
  noamPretrain: { options: Parameters<typeof noamSchedule>[0]; lrs: number[][] };
  noamPerGroup: { options: Parameters<typeof noamSchedule>[0]; lrs: number[][] };
}

describe('LR schedules match torch / GROVER NoamLR', () => {
  const f = fixture('schedules.json') as SchedFixture;
  const s = (lrs: number[][]) => lrs.map((row) => row);
  const schedules = {
    step: { schedule: stepSchedule(f.step.options), lrs: s(f.step.lrs), base: f.baseLrs },
    cosine: { schedule: cosineSchedule(f.cosine.options), lrs: f.cosine.lrs, base: f.baseLrs },
    linearWarmup: {
      schedule: withWarmup(constantSchedule(), f.linearWarmup.options),
      lrs: f.linearWarmup.lrs,
      base: f.baseLrs,
    },
    warmupStep: {
      schedule: withWarmup(stepSchedule(f.warmupStep.options), f.warmupStep.options),
      lrs: f.warmupStep.lrs,
      base: f.baseLrs,
    },
    warmupCosineShift: {
      schedule: withWarmup(cosineSchedule(f.warmupCosineShift.options), {
        ...f.warmupCosineShift.options,
        shift: true,
      }),
      lrs: f.warmupCosineShift.lrs,
      base: f.baseLrs,
    },
    noamPretrain: {
      schedule: noamSchedule(f.noamPretrain.options),
      lrs: f.noamPretrain.lrs,
      base: [1e-4, 1e-4],
    },
    noamPerGroup: {
      schedule: noamSchedule(f.noamPerGroup.options),
      lrs: f.noamPerGroup.lrs,
      base: [1e-4, 2e-4],
    },
  };
  const close = (a: number, b: number, what: string) => {
    if (!(Math.abs(a - b) <= 1e-9 * Math.abs(b) + 1e-15)) assert.fail(`${what}: ${a} vs ${b}`);
  };
  for (const [name, { schedule, lrs, base }] of Object.entries(schedules)) {
    it(`${name}: lrAt`, () => {
      lrs.forEach((row, step) => {
        row.forEach((lr, g) => {
          close(schedule.lrAt(step, base[g], g), lr, `${name} step ${step} group ${g}`);
        });
      });
    });
    it(`${name}: LRScheduler drives two groups`, () => {
      const params = makeParams([[1], [1]], [[0], [0]]);
      const opt = new SGD(
        params.map((p, g) => ({ params: [p], lr: base[g]! })),
        { lr: base[0]! },
      );
      const sched = new LRScheduler(opt, schedule);
      lrs.forEach((row, step) => {
        assert.equal(sched.stepCount, step);
        row.forEach((lr, g) => {
          close(opt.groups[g]!.lr, lr, `${name} step ${step} group ${g}`);
        });
        params[0]!.grad = new Float32Array(1);
        params[1]!.grad = null; // schedules advance whatever the gradients
        opt.step();
        sched.step();
      });
    });
  }

  it('noam: GROVER formula facts (warmup truncation, gamma, final lr, offset)', () => {
    const n = noamSchedule({
      warmupEpochs: 1.5,
      totalEpochs: 4,
      stepsPerEpoch: 3,
      initLr: 1,
      maxLr: 2,
      finalLr: 0.5,
    });
    assert.deepEqual(n.warmupSteps, [4]);
    assert.deepEqual(n.totalSteps, [12]);
    close(n.gammas[0]!, 0.25 ** (1 / 8), 'gamma');
    close(n.lrAt(3), 2, 'peak at counter 4 = step 3');
    close(n.lrAt(11), 0.5, 'final at counter 12');
    close(n.lrAt(50), 0.5, 'after total');
    const n0 = noamSchedule({
      warmupEpochs: 1.5,
      totalEpochs: 4,
      stepsPerEpoch: 3,
      initLr: 1,
      maxLr: 2,
      finalLr: 0.5,
      stepOffset: 0,
    });
    close(n0.lrAt(0), 1, 'offset 0 starts at initLr');
    close(n0.lrAt(4), 2, 'offset 0 peak');
    assert.equal(n.groupCount, 1);
    close(n.lrAt(2, 123, 7), n.lrAt(2), 'scalars broadcast to every group');
    const two = noamSchedule({
      warmupEpochs: 1,
      totalEpochs: 2,
      stepsPerEpoch: 2,
      initLr: [1, 2],
      maxLr: 3,
      finalLr: 1,
    });
    assert.throws(() => two.lrAt(0, undefined, 2), OptimError);
    assert.throws(
      () =>
        noamSchedule({
          warmupEpochs: [1, 2],
          totalEpochs: [1, 2, 3],
          stepsPerEpoch: 2,
          initLr: 1,
          maxLr: 1,
          finalLr: 1,
        }),
      OptimError,
    );
    const noWarm = noamSchedule({
      warmupEpochs: 0,
      totalEpochs: 2,
      stepsPerEpoch: 2,
      initLr: 9,
      maxLr: 1,
      finalLr: 0.25,
    });
    close(noWarm.lrAt(0), 1 * 0.25 ** (1 / 4), 'no warmup: decay from the first step');
  });

  it('schedule argument checks', () => {
    assert.throws(() => stepSchedule({ stepSize: 0 }), OptimError);
    assert.throws(() => cosineSchedule({ tMax: 0 }), OptimError);
    assert.throws(() => withWarmup(constantSchedule(), { warmupSteps: -1 }), OptimError);
    assert.throws(() => constantSchedule().lrAt(-1), OptimError);
    assert.throws(() => constantSchedule().lrAt(1.5), OptimError);
    assert.equal(stepSchedule({ stepSize: 2, gamma: 0.5, baseLr: 4 }).lrAt(5), 1);
    assert.equal(withWarmup(constantSchedule({ baseLr: 2 }), { warmupSteps: 4 }).lrAt(1), 0.5);
  });
});

describe('gradient clipping matches torch.nn.utils', () => {
  const { cases, shapes } = fixture('clip.json') as {
    shapes: number[][];
    cases: {
      name: string;
      kind: 'norm' | 'value';
      limit: number;
      normType?: number | 'inf';
      totalNorm?: number;
      grads: number[][];
      after: number[][];
    }[];
  };
  for (const c of cases) {
    it(c.name, () => {
      const params = makeParams(
        shapes,
        shapes.map((s) => new Array<number>(s.reduce((a, b) => a * b, 1)).fill(0)),
      );
      params.forEach((p, i) => {
        p.grad = Float32Array.from(c.grads[i]!);
      });
      const withNull = [...params, { name: 'nograd', shape: [2], data: new Float32Array(2), grad: null }];
      if (c.kind === 'norm') {
        const normType = c.normType === 'inf' ? Number.POSITIVE_INFINITY : c.normType!;
        const total = clipGradNorm(withNull, c.limit, normType);
        assertClose([total], [c.totalNorm!], `${c.name} total norm`);
      } else {
        clipGradValue(withNull, c.limit);
      }
      params.forEach((p, i) => {
        assertClose(p.grad!, c.after[i]!, `${c.name} grad ${i}`);
      });
      assert.equal(withNull[2]!.grad, null);
    });
  }

  it('no gradients: norm 0; errorIfNonfinite; NaN norm leaves grads', () => {
    assert.equal(clipGradNorm([{ name: 'a', shape: [1], data: new Float32Array(1), grad: null }], 1), 0);
    const p: OptimParam = {
      name: 'a',
      shape: [2],
      data: new Float32Array(2),
      grad: Float32Array.of(Number.NaN, 1),
    };
    assert.ok(Number.isNaN(clipGradNorm([p], 1)));
    assert.equal(p.grad![1], 1);
    assert.ok(Number.isNaN(clipGradNorm([p], 1, Number.POSITIVE_INFINITY)));
    assert.throws(() => clipGradNorm([p], 1, 2, { errorIfNonfinite: true }), OptimError);
    assert.throws(() => clipGradNorm([p], 1, 0), OptimError);
  });
});

function randomParams(seed: number): OptimParam[] {
  let s = seed >>> 0;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  return [
    { name: 'w', shape: [3, 4], data: Float32Array.from({ length: 12 }, rnd), grad: null },
    { name: 'b', shape: [4], data: Float32Array.from({ length: 4 }, rnd), grad: null },
  ];
}

function gradsFor(step: number, params: OptimParam[]): void {
  params.forEach((p, i) => {
    // param 1 has no gradient on step 2 (exercises skipping inside a resumed run)
    p.grad =
      i === 1 && step === 2
        ? null
        : Float32Array.from({ length: p.data.length }, (_, k) => Math.sin(step * 7 + k * 3 + i));
  });
}

describe('state dicts resume bit-exactly', () => {
  const makers: [string, (p: OptimParam[]) => Optimizer<AdamHyper> | Optimizer<SGDHyper>][] = [
    ['SGD nesterov', (p) => new SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3 })],
    [
      'Adam amsgrad',
      (p) => new Adam([{ params: [p[0]!], lr: 1e-3 }, { params: [p[1]!] }], { lr: 1e-2, amsgrad: true }),
    ],
    ['AdamW', (p) => new AdamW(p, { lr: 1e-2, weightDecay: 0.1 })],
  ];
  for (const [name, make] of makers) {
    for (const viaFile of [false, true]) {
      it(`${name}${viaFile ? ' through encodeTensors/decodeTensors' : ''}`, () => {
        const schedule = withWarmup(cosineSchedule({ tMax: 8, etaMin: 1e-4 }), {
          warmupSteps: 2,
          startFactor: 0.1,
        });
        const a = randomParams(7);
        const optA = make(a);
        const schedA = new LRScheduler(optA, schedule);
        for (let t = 0; t < 8; t++) {
          gradsFor(t, a);
          optA.step();
          schedA.step();
        }

        const b = randomParams(7);
        const optB = make(b);
        const schedB = new LRScheduler(optB, schedule);
        for (let t = 0; t < 4; t++) {
          gradsFor(t, b);
          optB.step();
          schedB.step();
        }
        let sd = optB.stateDict();
        const schedState = schedB.stateDict();
        const saved = b.map((p) => p.data.slice());
        if (viaFile) {
          const { tensors, metadata } = stateDictToTensors(sd);
          const decoded = decodeTensors(encodeTensors(tensors, metadata));
          sd = stateDictFromTensors(decoded.tensors, decoded.metadata);
        }
        // Keep training B to prove the state dict holds copies.
        gradsFor(4, b);
        optB.step();

        const c = randomParams(99);
        c.forEach((p, i) => {
          p.data.set(saved[i]!);
        });
        const optC = make(c);
        optC.loadStateDict(sd);
        const schedC = new LRScheduler(optC, schedule);
        schedC.loadStateDict(schedState);
        for (let t = 4; t < 8; t++) {
          gradsFor(t, c);
          optC.step();
          schedC.step();
        }
        c.forEach((p, i) => {
          assert.deepEqual(p.data, a[i]!.data, `param ${i} after resume`);
        });
        assert.deepEqual(optC.stateDict(), optA.stateDict());
        assert.deepEqual(optC.lrs(), optA.lrs());
      });
    }
  }

  it('loadStateDict rejects mismatches', () => {
    const p = randomParams(1);
    const adam = new Adam(p);
    gradsFor(0, p);
    adam.step();
    const sd = adam.stateDict();
    assert.throws(() => new AdamW(randomParams(1)).loadStateDict(sd), /Adam, not AdamW/);
    assert.throws(() => new Adam([randomParams(1)[0]!]).loadStateDict(sd), OptimError);
    const wrong = randomParams(1);
    const grown = { ...wrong[0]!, data: new Float32Array(13) };
    assert.throws(() => new Adam([grown, wrong[1]!]).loadStateDict(sd), /13/);
    assert.throws(() => new Adam([{ params: [p[0]!] }, { params: [p[1]!] }]).loadStateDict(sd), /groups/);
  });
});

class ExposedAdam extends Adam {
  buffers(i: number): Record<string, Float32Array> | undefined {
    return this.state[i]?.buffers;
  }
  stepOf(i: number): number {
    return this.state[i]?.step ?? 0;
  }
}

describe('optimizer behaviour', () => {
  it('zeroGrad fills existing gradients with 0 and keeps the buffers', () => {
    const p = randomParams(3);
    gradsFor(0, p);
    p[1]!.grad = null;
    const g0 = p[0]!.grad!;
    new SGD(p, { lr: 1 }).zeroGrad();
    assert.equal(p[0]!.grad, g0);
    assert.ok(g0.every((v) => v === 0));
    assert.equal(p[1]!.grad, null);
  });

  it('params without a gradient are skipped (data and step count unchanged)', () => {
    const p = randomParams(4);
    const opt = new ExposedAdam(p, { lr: 0.1, weightDecay: 0.5 });
    const before = p[1]!.data.slice();
    for (let t = 0; t < 3; t++) {
      gradsFor(t, p);
      p[1]!.grad = null;
      opt.step();
    }
    assert.deepEqual(p[1]!.data, before);
    assert.equal(opt.stepOf(0), 3);
    assert.equal(opt.stepOf(1), 0);
    assert.equal(opt.buffers(1), undefined);
  });

  it('state buffers are allocated once (same arrays after many steps)', () => {
    const p = randomParams(5);
    const opt = new ExposedAdam(p, { amsgrad: true });
    gradsFor(0, p);
    opt.step();
    const first = { ...opt.buffers(0)! };
    for (let t = 1; t < 5; t++) {
      gradsFor(t, p);
      opt.step();
    }
    const later = opt.buffers(0)!;
    assert.deepEqual(Object.keys(later).sort(), ['expAvg', 'expAvgSq', 'maxExpAvgSq']);
    for (const k of Object.keys(first)) assert.equal(later[k], first[k]);
  });

  it('groups: overrides, setLr relative to each base lr, setLrFactor', () => {
    const [enc, head] = randomParams(6);
    const opt = new Adam(
      [
        { params: [enc!], lr: 1e-4, weightDecay: 0.01 },
        { params: [head!], betas: [0.8, 0.9] },
      ],
      { lr: 1e-3 },
    );
    assert.deepEqual(opt.lrs(), [1e-4, 1e-3]);
    assert.equal(opt.groups[0]!.weightDecay, 0.01);
    assert.equal(opt.groups[1]!.weightDecay, 0);
    assert.deepEqual(opt.groups[1]!.betas, [0.8, 0.9]);
    assert.deepEqual(opt.groups[0]!.betas, [0.9, 0.999]);
    opt.setLr(5e-4);
    assert.ok(Math.abs(opt.lrs()[0]! - 5e-5) < 1e-18);
    assert.equal(opt.lrs()[1], 5e-4);
    opt.setLrFactor(0.5);
    assert.deepEqual(opt.lrs(), [5e-5, 5e-4]);
    const sched = new LRScheduler(opt, stepSchedule({ stepSize: 1, gamma: 0.1 }));
    assert.deepEqual(sched.lastLrs(), [1e-4, 1e-3]);
    sched.step();
    assert.ok(Math.abs(opt.lrs()[0]! - 1e-5) < 1e-18 && Math.abs(opt.lrs()[1]! - 1e-4) < 1e-18);
  });

  it('rejects invalid configurations', () => {
    const p = randomParams(8);
    assert.throws(() => new Adam([]), /empty parameter list/);
    assert.throws(() => new Adam([{ params: [p[0]!] }, { params: [p[0]!] }]), /more than one group/);
    assert.throws(() => new SGD(p, { lr: 0.1, nesterov: true }), /Nesterov/);
    assert.throws(() => new SGD(p, { lr: -1 }), /learning rate/);
    assert.throws(() => new Adam(p, { betas: [1, 0.999] }), /beta1/);
    assert.throws(() => new Adam(p, { eps: -1 }), /eps/);
    assert.throws(
      () => new AdamW([{ params: p, lr: 1, momentum: 0.9 } as never]),
      /unknown option 'momentum'/,
    );
    const bad = randomParams(8);
    bad[0]!.grad = new Float32Array(3);
    assert.throws(() => new Adam(bad).step(), /grad has 3 values/);
  });

  it('SGD momentum buffer starts from the first gradient; AdamW decays even with zero gradient', () => {
    const p: OptimParam = { name: 'x', shape: [1], data: Float32Array.of(1), grad: Float32Array.of(1) };
    const sgd = new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.5 });
    sgd.step(); // buf = 1 → x = 0.9
    sgd.step(); // buf = 0.9 + 0.5 = 1.4 → x = 0.76
    assert.equal(p.data[0], Math.fround(Math.fround(0.9) - 0.1 * Math.fround(1.4)));
    const q: OptimParam = { name: 'y', shape: [1], data: Float32Array.of(2), grad: Float32Array.of(0) };
    new AdamW([q], { lr: 0.1, weightDecay: 0.5 }).step();
    assert.equal(q.data[0], Math.fround(2 * (1 - 0.05)));
  });
});
