import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../support/run-cli';
import { certificateCommonName, loadPartyCredentials } from '../../../src/federated/pki';

describe('hemasynth federate pki', () => {
  test('writes a CA and one certificate per party with its name as CN', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-pki-'));
    const r = await runCli(['federate', 'pki', '--out', dir, '--sites', 'a,b', '--json']);
    expect(r.code).toBe(0);
    expect(Object.keys(JSON.parse(r.stdout).parties)).toEqual(['coordinator', 'helper', 'a', 'b']);
    expect(certificateCommonName(fs.readFileSync(path.join(dir, 'b.crt')))).toBe('b');
    expect(loadPartyCredentials({ dir, party: 'a' }).name).toBe('a');
    // A certificate issued to another name is refused for this party.
    expect(() => loadPartyCredentials({ dir, party: 'a', cert: path.join(dir, 'b.crt') })).toThrow(/CN=a/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('bad site lists exit 2 with the reason', async () => {
    const r = await runCli(['federate', 'pki', '--out', os.tmpdir(), '--sites', 'a,a']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/distinct site names/);
    const r2 = await runCli(['federate', 'pki', '--out', os.tmpdir(), '--sites', 'a,coordinator']);
    expect(r2.code).toBe(2);
  });

  test('coordinator and site refuse bad options with exit 2 and the reason', async () => {
    const r = await runCli(['federate', 'coordinator', '--listen', '127.0.0.1:0', '--pki', os.tmpdir(), '--sites', 'a,b', '--model', 'marginal', '--epsilon', '1', '--out', 'x.hsm', '--secure-agg', 'two-server']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--helper/);
    const r2 = await runCli(['federate', 'coordinator', '--listen', 'nowhere', '--pki', os.tmpdir(), '--sites', 'a,b', '--model', 'tvae-x', '--epsilon', '1', '--out', 'x.hsm']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/marginal/);
    const r3 = await runCli(['federate', 'site', '--coordinator', 'host-without-port', '--pki', os.tmpdir(), '--name', 'a', '--data', 'x.arrow']);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/HOST:PORT for --coordinator/);
  });

  test('visits: a site whose --visits file is missing, a coordinator whose patients schema has no follow-up column, and an unknown model option exit 2 with the reason', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hemasynth-fedvisits-cli-'));
    try {
      const r = await runCli(['federate', 'site', '--coordinator', '127.0.0.1:1', '--pki', dir, '--name', 'a', '--data', path.join(dir, 'a.arrow'), '--visits', path.join(dir, 'visits-a.arrow')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/visits file for --visits .*visits-a\.arrow/);
      const schema = path.join(dir, 'patients.schema.json'), visitsSchema = path.join(dir, 'visits.schema.json');
      fs.writeFileSync(schema, JSON.stringify({ version: 1, columns: [{ name: 'hb_g_dl', kind: 'continuous', min: 3, max: 17 }] }));
      fs.writeFileSync(visitsSchema, JSON.stringify({ version: 1, columns: [{ name: 'patient_id', kind: 'identifier' }, { name: 'hb_g_dl', kind: 'continuous', min: 3, max: 17 }] }));
      const r2 = await runCli(['federate', 'coordinator', '--listen', '127.0.0.1:0', '--pki', dir, '--sites', 'a,b', '--model', 'copula', '--epsilon', '1', '--out', path.join(dir, 'x.hsm'), '--schema', schema, '--visits-schema', visitsSchema]);
      expect(r2.code).toBe(2);
      expect(r2.stderr).toMatch(/follow-up column "followup_years"/);
      // An option the federated model does not read is refused by name (it used to be ignored).
      const r3 = await runCli(['federate', 'coordinator', '--listen', '127.0.0.1:0', '--pki', dir, '--sites', 'a,b', '--model', 'copula', '--epsilon', '1', '--out', path.join(dir, 'x.hsm'), '--schema', schema, '--options', '{"stratifyBy": "genotype"}']);
      expect(r3.code).toBe(2);
      expect(r3.stderr).toMatch(/option of the federated copula model \(bins, histogramBins, maxSiteRows, seed\) but received "stratifyBy"/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
