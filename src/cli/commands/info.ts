/** `hemasynth info`: version, backends and why any is unusable, native build flags, Node version. */
import { Command } from 'commander';
import { backendStatuses } from '../../backend/availability';
import { tryLoadAddon } from '../../native/addon';
import { VERSION } from '../../version';
import { action, printJson } from '../runtime';

/** Everything `hemasynth info` reports. */
export function collectInfo() {
  const loaded = tryLoadAddon();
  const build = loaded.addon ? loaded.addon.buildInfo() : null;
  return {
    version: VERSION,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    backends: backendStatuses(),
    native: build
      ? {
          loaded: true,
          compiler: build.compiler,
          buildType: build.buildType,
          archFlags: build.archFlags,
          vector: build.simd,
          vectorWidthBits: build.simdWidthBits,
          threads: Number(process.env.HEMASYNTH_THREADS) > 0 ? Number(process.env.HEMASYNTH_THREADS) : build.hardwareThreads,
          cudaCompiled: build.cudaCompiled,
          cudaArchs: build.cudaArchs,
        }
      : { loaded: false, reason: loaded.error },
  };
}

export function register(program: Command): void {
  program
    .command('info')
    .description('print the version, the compute backends (and why any is unusable), native build flags and the Node version')
    .option('--json', 'print as JSON')
    .action(action((opts: { json?: boolean }) => {
      const info = collectInfo();
      if (opts.json) return printJson(info);
      const lines = [`hemasynth ${info.version} (node ${info.node}, ${info.platform})`, 'backends:'];
      for (const b of info.backends) lines.push(`  ${b.name.padEnd(5)} ${b.usable ? 'usable' : 'unusable'}${b.usable ? (b.detail ? `  ${b.detail}` : '') : `  (${b.reason})`}`);
      const n = info.native;
      if (n.loaded) {
        lines.push('native build:');
        lines.push(`  compiler ${n.compiler}, ${n.buildType}, flags "${n.archFlags}"`);
        lines.push(`  vector ${n.vector} (${n.vectorWidthBits}-bit), threads ${n.threads}`);
        lines.push(`  cuda ${n.cudaCompiled ? `compiled for ${n.cudaArchs}` : 'not compiled'}`);
      } else {
        lines.push(`native build: not loaded (${n.reason})`);
      }
      process.stdout.write(lines.join('\n') + '\n');
    }));
}
