/** Creates accountants by name (the Opacus registry idea). */
import { UsageError } from '../../errors';
import { AccountantName, PrivacyAccountant } from './accountant';
import { PrvAccountant } from './prv';
import { RdpAccountant } from './rdp';

/** The default accountant: numerical PRV/PLD. */
export const DEFAULT_ACCOUNTANT: AccountantName = 'prv';

/**
 * Normalises an accountant name ('pld' is accepted as an alias of 'prv'); throws a UsageError otherwise.
 * @example resolveAccountantName('pld') // 'prv'
 */
export function resolveAccountantName(name: string | undefined, where = 'accountant'): AccountantName {
  const n = (name ?? DEFAULT_ACCOUNTANT).toLowerCase();
  if (n === 'prv' || n === 'pld') return 'prv';
  if (n === 'rdp') return 'rdp';
  throw new UsageError(`Expected "prv", "pld" or "rdp" for ${where} but received ${JSON.stringify(name)}`);
}

/**
 * A new, empty accountant.
 * @example createAccountant('rdp').getEpsilon(1e-5).epsilon // 0
 */
export function createAccountant(name: string = DEFAULT_ACCOUNTANT): PrivacyAccountant {
  return resolveAccountantName(name) === 'rdp' ? new RdpAccountant() : new PrvAccountant();
}
