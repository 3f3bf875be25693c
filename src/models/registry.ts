/**
 * Generators by name. `marginal` and `copula` register here; the neural generators (tvae, ctgan)
 * register themselves with {@link registerGenerator} when their module is part of the build.
 */
import { UsageError } from '../errors';
import type { GeneratorDefinition } from './generator';
import { marginalGenerator } from './marginal/marginal-generator';
import { copulaGenerator } from './copula/copula-generator';
import { tvaeGenerator } from './tvae/tvae-generator';
import { ctganGenerator } from './ctgan/ctgan-generator';

/** Every generator name the CLI and the model file know of, built in this build or not. */
export const KNOWN_GENERATORS = ['marginal', 'copula', 'tvae', 'ctgan'] as const;

const registry = new Map<string, GeneratorDefinition>();

/**
 * Registers a generator (replacing one of the same name).
 * @example registerGenerator(tvaeGenerator)
 */
export function registerGenerator(g: GeneratorDefinition): void {
  registry.set(g.name, g);
}

/** Names of the generators available in this build. */
export function availableGenerators(): string[] {
  return [...registry.keys()];
}

/**
 * The generator of that name, or a clear error: unknown name, or known but not in this build.
 * @example generatorByName('marginal').description
 */
export function generatorByName(name: string): GeneratorDefinition {
  const g = registry.get(name);
  if (g) return g;
  if ((KNOWN_GENERATORS as readonly string[]).includes(name)) {
    throw new UsageError(`model ${name} is not available in this build (available: ${availableGenerators().join(', ')})`);
  }
  throw new UsageError(`Expected a model name (${KNOWN_GENERATORS.join(', ')}) but received ${JSON.stringify(name)}`);
}

registerGenerator(marginalGenerator);
registerGenerator(copulaGenerator);
registerGenerator(tvaeGenerator);
registerGenerator(ctganGenerator);
