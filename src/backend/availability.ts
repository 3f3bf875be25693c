/**
 * Which compute backends can run here, and why the others cannot. `js` (the TypeScript
 * reference) is always usable; `cpu` needs the native addon; `cuda` needs the addon built
 * with CUDA and a visible GPU.
 */
import { tryLoadAddon } from '../native/addon';

export type BackendName = 'js' | 'cpu' | 'cuda';

/** All backends, best first. */
export const BACKEND_PRIORITY: readonly BackendName[] = ['cuda', 'cpu', 'js'];

export interface BackendStatus {
  name: BackendName;
  usable: boolean;
  /** Why it is not usable; empty when usable. */
  reason: string;
  /** Extra facts (device name, threads). */
  detail?: string;
}

/**
 * Status of each backend, in priority order.
 * @example backendStatuses().filter((b) => b.usable).map((b) => b.name) // ['cpu', 'js']
 */
export function backendStatuses(): BackendStatus[] {
  const loaded = tryLoadAddon();
  const out: BackendStatus[] = [];
  if (!loaded.addon) {
    out.push({ name: 'cuda', usable: false, reason: loaded.error ?? 'native addon unavailable' });
    out.push({ name: 'cpu', usable: false, reason: loaded.error ?? 'native addon unavailable' });
  } else {
    const b = loaded.addon.buildInfo();
    const c = loaded.addon.cudaStatus();
    if (!b.cudaCompiled) out.push({ name: 'cuda', usable: false, reason: c.reason });
    else if (c.deviceCount === 0) out.push({ name: 'cuda', usable: false, reason: `no GPU (${c.reason})` });
    else out.push({ name: 'cuda', usable: true, reason: '', detail: `${c.deviceName} (sm_${c.computeCapability}, ${(c.memoryBytes / 2 ** 30).toFixed(0)} GiB)` });
    out.push({ name: 'cpu', usable: true, reason: '', detail: `${b.hardwareThreads} threads, ${b.simd}` });
  }
  out.push({ name: 'js', usable: true, reason: '', detail: 'TypeScript reference' });
  return out;
}
