/** Backend resolution: explicit choice, best usable, and the explanation of skipped candidates. */
import { BackendUnavailableError, UsageError } from '../../../src/errors';
import { backendStatuses, resolveBackend, resolveHostOps } from '../../../src/backend';
import { createTrainer } from '../../../src/nn';
import { resolveThreads } from '../../../src/nn/options';

describe('resolveBackend', () => {
  const statuses = backendStatuses();
  const best = statuses.find((s) => s.usable)!.name;

  it('auto picks the best usable backend and explains every skipped one', () => {
    const r = resolveBackend('auto');
    expect(r.backend.name).toBe(best);
    const unusable = statuses.slice(0, statuses.findIndex((s) => s.usable));
    expect(r.skipped).toEqual(unusable.map((s) => `${s.name}: ${s.reason}`));
    for (const s of unusable) expect(r.message).toContain(`${s.name}: ${s.reason}`);
  });

  it('an explicit unusable backend throws with its reason; js always resolves', () => {
    expect(resolveBackend('js').backend.name).toBe('js');
    for (const s of statuses.filter((x) => !x.usable)) {
      expect(() => resolveBackend(s.name)).toThrow(BackendUnavailableError);
      expect(() => resolveBackend(s.name)).toThrow(s.reason);
    }
    expect(() => resolveBackend('gpu' as never)).toThrow(UsageError);
  });

  it('cuda reports "no GPU" style reasons cleanly when unusable', () => {
    const cuda = statuses.find((s) => s.name === 'cuda')!;
    if (!cuda.usable) expect(cuda.reason.length).toBeGreaterThan(0);
  });

  it('host-side ops (Gumbel-softmax on small spans) never resolve to cuda; on a GPU machine auto and cuda give cpu', () => {
    // scripts/gpu-check.sh runs this file on a GPU, where 'auto' picks cuda.
    const cudaUsable = statuses.find((s) => s.name === 'cuda')!.usable;
    const wanted = cudaUsable ? ['auto', 'cuda', 'cpu', 'js'] as const : ['auto', 'js'] as const;
    for (const name of wanted) {
      const ops = resolveHostOps(name);
      expect(ops.name).toBe(name === 'js' ? 'js' : name === 'auto' || name === 'cuda' ? (cudaUsable ? 'cpu' : best) : name);
      const soft = ops.gumbelSoftmax(Float32Array.of(0, 1, 2, 3), 2, 2, 0.5, 7);
      expect(soft[0] + soft[1]).toBeCloseTo(1, 6);
      expect(soft[2] + soft[3]).toBeCloseTo(1, 6);
    }
  });

  it('createTrainer uses the requested backend', () => {
    const t = createTrainer({ inputSize: 2, layers: [{ type: 'linear', outputs: 1 }], loss: { targetSize: 1, terms: [{ kind: 'mse', outputOffset: 0, width: 1 }] } }, { backend: 'js', seed: 1 });
    expect(t.backend).toBe('js');
    expect(t.seeded).toBe(true);
    expect(t.parameterCount).toBe(3);
  });

  it('threads come from the option, else HEMASYNTH_THREADS', () => {
    const saved = process.env.HEMASYNTH_THREADS;
    try {
      process.env.HEMASYNTH_THREADS = '3';
      expect(resolveThreads(undefined)).toBe(3);
      expect(resolveThreads(1)).toBe(1);
      process.env.HEMASYNTH_THREADS = 'many';
      expect(() => resolveThreads(undefined)).toThrow(/HEMASYNTH_THREADS/);
    } finally {
      if (saved === undefined) delete process.env.HEMASYNTH_THREADS; else process.env.HEMASYNTH_THREADS = saved;
    }
  });
});
