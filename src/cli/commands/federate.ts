/**
 * `hemasynth federate pki --out DIR --sites a,b,c`: a CA and mutual-TLS certificates for the
 * coordinator, the two-server helper and every site (see docs/federation.md).
 */
import { Command } from 'commander';
import { createFederationPki, parseSiteList } from '../../federated/pki';
import { action, printJson } from '../runtime';
import { UsageError } from '../../errors';

export function register(program: Command): void {
  const federate = program.command('federate').description('federated training across sites with secure aggregation');
  federate
    .command('pki')
    .description('create a CA and certificates (ECDSA P-256) for the coordinator, the helper and each site')
    .requiredOption('--out <dir>', 'folder for ca.crt, ca.key and <party>.crt/.key')
    .requiredOption('--sites <list>', 'comma-separated site names, e.g. a,b,c')
    .option('--days <n>', 'validity in days', '365')
    .option('--json', 'print the files written as JSON')
    .action(action(async (opts: { out: string; sites: string; days: string; json?: boolean }) => {
      const days = Number(opts.days);
      if (!(Number.isInteger(days) && days >= 1 && days <= 3650)) throw new UsageError(`Expected an integer in [1, 3650] for --days but received ${JSON.stringify(opts.days)}`);
      const files = await createFederationPki(opts.out, parseSiteList(opts.sites), { days });
      if (opts.json) return printJson(files);
      process.stdout.write(`wrote CA ${files.ca} and certificates for ${Object.keys(files.parties).join(', ')}\n`);
    }));
}
