/**
 * Loads the native addon (build/Release/hemasynth.node) and types its surface. Each native
 * area declares its functions in `src/native/<area>.ts`; `npm run check:bindings` verifies
 * that the addon exports exactly what those declarations name.
 *
 * The loader tries, in order: `$HEMASYNTH_ADDON`, then `build/Release/hemasynth.node` under
 * the package root. It never throws at import: callers ask {@link loadAddon} and get the
 * reason when the addon is missing, so the `js` backend keeps working without it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NativeError } from '../errors';
import type { InfoBindings } from './info';
import type { TensorBindings } from './tensor';
import type { NnBindings } from './nn';
import type { DpBindings } from './dp';
import type { AnonBindings } from './anon';
import type { MetricsBindings } from './metrics';
import type { MarginalBindings } from './marginal';
import type { SmpcBindings } from './smpc';
import type { CudaTrainerBindings } from './cuda-trainer';
import type { NeuralBindings } from './neural';

/** The whole addon surface: the union of every area's declared functions. */
export type NativeAddon = InfoBindings & TensorBindings & NnBindings & DpBindings & AnonBindings & MetricsBindings & SmpcBindings & MarginalBindings & CudaTrainerBindings & NeuralBindings;

/** Root of the installed package (the folder holding package.json). */
export const packageRoot: string = path.resolve(__dirname, '..', '..');

let cached: { addon?: NativeAddon; error?: string } | undefined;

/** Candidate paths for the addon, in the order they are tried. */
export function addonCandidates(): string[] {
  const list: string[] = [];
  if (process.env.HEMASYNTH_ADDON) list.push(path.resolve(process.env.HEMASYNTH_ADDON));
  list.push(path.join(packageRoot, 'build', 'Release', 'hemasynth.node'));
  return list;
}

/** Loads the addon once per thread; returns it or the reason it could not be loaded. */
export function tryLoadAddon(): { addon?: NativeAddon; error?: string } {
  if (cached) return cached;
  const reasons: string[] = [];
  for (const candidate of addonCandidates()) {
    if (!fs.existsSync(candidate)) {
      reasons.push(`${candidate}: not found`);
      continue;
    }
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      cached = { addon: require(candidate) as NativeAddon };
      return cached;
    } catch (e) {
      reasons.push(`${candidate}: ${(e as Error).message}`);
    }
  }
  cached = {
    error: `native addon not loadable (${reasons.join('; ')}). Possible solutions: run "npm run build:native"; ` +
      'set HEMASYNTH_ADDON to a built hemasynth.node',
  };
  return cached;
}

/** The addon, or a NativeError explaining why it is unavailable. */
export function loadAddon(): NativeAddon {
  const r = tryLoadAddon();
  if (!r.addon) throw new NativeError(r.error ?? 'native addon unavailable');
  return r.addon;
}

/**
 * Calls a native function, turning its RangeError/TypeError into typed hemasynth errors while
 * keeping the caller's stack.
 */
export function callNative<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const err = e as Error & { field?: string };
    if (err instanceof TypeError) throw new NativeError(err.message, err.field ?? '');
    const wrapped = new NativeError(err.message, err.field ?? '');
    Error.captureStackTrace?.(wrapped, callNative);
    throw wrapped;
  }
}
