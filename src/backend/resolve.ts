/** Picks a backend: the requested one, or the best usable, explaining every skipped candidate. */
import { BackendUnavailableError, UsageError, describeValue } from '../errors';
import { BACKEND_PRIORITY, backendStatuses, type BackendName } from './availability';
import type { Backend } from './backend';
import { CpuBackend } from './cpu';
import { CudaBackend } from './cuda';
import { JsBackend } from './js';

/** The chosen backend and why the others were not chosen. */
export interface ResolvedBackend {
  backend: Backend;
  /** One line per candidate tried before the chosen one: "cuda: no CUDA device present". */
  skipped: string[];
  /** A one-line explanation for logs: "using cpu (skipped cuda: no GPU)". */
  message: string;
}

function construct(name: BackendName, threads?: number): Backend {
  if (name === 'js') return new JsBackend();
  if (name === 'cpu') return new CpuBackend({ threads });
  return new CudaBackend({ threads });
}

/**
 * Resolves a backend by name or picks the best usable one ('auto', the default: cuda, then
 * cpu, then js). A named backend that cannot run here throws BackendUnavailableError with
 * the reason; with purpose 'training', backends without a trainer are skipped too. 'auto' never throws (js always works) and lists why each better one was skipped.
 * @example
 * const { backend, message } = resolveBackend('auto');
 * console.error(message); // "using cpu (skipped cuda: no CUDA device present)"
 */
export function resolveBackend(
  requested: BackendName | 'auto' = 'auto',
  options: { threads?: number; /** 'training': skip backends without a trainer. Default 'ops'. */ purpose?: 'ops' | 'training' } = {},
): ResolvedBackend {
  if (!['js', 'cpu', 'cuda', 'auto'].includes(requested)) {
    throw new UsageError(`Expected one of js, cpu, cuda, auto for backend but received ${describeValue(requested)}`);
  }
  const statuses = backendStatuses();
  if (requested !== 'auto') {
    const s = statuses.find((b) => b.name === requested);
    if (!s?.usable) throw new BackendUnavailableError(`backend ${requested} is unusable: ${s?.reason ?? 'unknown backend'}`);
    return { backend: construct(requested, options.threads), skipped: [], message: `using ${requested} (requested)` };
  }
  const skipped: string[] = [];
  for (const name of BACKEND_PRIORITY) {
    const s = statuses.find((b) => b.name === name);
    if (!s?.usable) { skipped.push(`${name}: ${s?.reason ?? 'unknown'}`); continue; }
    try {
      const backend = construct(name, options.threads);
      return { backend, skipped, message: `using ${name}${skipped.length ? ` (skipped ${skipped.join('; ')})` : ''}` };
    } catch (e) {
      skipped.push(`${name}: ${(e as Error).message}`);
    }
  }
  // js is always usable; reaching here means its construction failed, which is a bug.
  throw new BackendUnavailableError(`no backend usable: ${skipped.join('; ')}`);
}

/**
 * The backend for ops a generator runs between native training steps on small arrays (CTGAN's
 * Gumbel-softmax on each output span): the requested backend, except that cuda, asked for or
 * picked by 'auto', gives the cpu backend. Each cuda op copies its operands to the device and back,
 * which for spans of a few kilobytes costs more than the arithmetic. Where cuda is usable the
 * addon is built, so cpu is too.
 * @example const ops = resolveHostOps('auto', 2); // cpu on a GPU machine, cpu or js elsewhere
 */
export function resolveHostOps(requested: BackendName | 'auto' = 'auto', threads?: number): Backend {
  const { backend } = resolveBackend(requested, { threads, purpose: 'training' });
  return backend.name === 'cuda' ? resolveBackend('cpu', { threads }).backend : backend;
}
