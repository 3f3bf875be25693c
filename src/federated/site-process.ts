/**
 * Entry point of one site process of `federate simulate` (argv[2]: the JSON RunSiteOptions).
 * Prints the site's result as one JSON line; exits 1 with the reason on failure.
 */
import { runSite, RunSiteOptions } from './site-runner';

const options = JSON.parse(process.argv[2] ?? '{}') as RunSiteOptions;
runSite(options).then(
  (r) => {
    process.stdout.write(JSON.stringify(r) + '\n');
    process.exit(0);
  },
  (e: Error) => {
    process.stderr.write(JSON.stringify({ time: new Date().toISOString(), event: 'site-failed', site: options.name, error: e.message }) + '\n');
    process.exit(1);
  },
);
