// Child process: one federation site over gRPC/mTLS. argv: coordinator pkiDir name length [faultPoint faultRound faultAction]
import { FederationSite } from '../../../src/federated/site';
import { loadPartyCredentials } from '../../../src/federated/pki';
import { VectorSumSite } from './vector-sum-task';

const [coordinator, pki, name, length, faultPoint, faultRound, faultAction] = process.argv.slice(2);
const site = new FederationSite({
  coordinator,
  credentials: loadPartyCredentials({ dir: pki, party: name }),
  name,
  task: new VectorSumSite(name, Number(length)),
  log: () => undefined,
  connectTimeoutMs: 20_000,
  fault: (point, round) => (faultPoint === point && Number(faultRound) === round ? (faultAction as 'crash' | 'silent') : 'go'),
});
site.run().then(
  (r) => {
    process.stdout.write(JSON.stringify(r) + '\n');
    process.exit(0);
  },
  (e: Error) => {
    process.stderr.write(e.message + '\n');
    process.exit(1);
  },
);
