import { runCli } from '../../support/run-cli';

describe('hemasynth info', () => {
  it('reports every backend with usability and reasons as JSON', async () => {
    const r = await runCli(['info', '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.node).toBe(process.version);
    expect(info.backends.map((b: { name: string }) => b.name)).toEqual(['cuda', 'cpu', 'js']);
    const js = info.backends.find((b: { name: string }) => b.name === 'js');
    expect(js.usable).toBe(true);
    for (const b of info.backends) if (!b.usable) expect(b.reason.length).toBeGreaterThan(10);
    expect(info.native.loaded).toBe(true);
    expect([0, 128, 256, 512]).toContain(info.native.vectorWidthBits);
    expect(info.native.threads).toBeGreaterThan(0);
  });

  it('prints a human summary', async () => {
    const r = await runCli(['info']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^hemasynth \d+\.\d+\.\d+/);
    expect(r.stdout).toMatch(/cpu\s+usable/);
  });

  it('exits 2 on an unknown command or option, 0 on --help', async () => {
    expect((await runCli(['no-such-command'])).code).toBe(2);
    expect((await runCli(['info', '--bogus'])).code).toBe(2);
    expect((await runCli(['--help'])).code).toBe(0);
  });
});
