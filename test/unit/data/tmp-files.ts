/** Temporary files for data-layer tests (one folder per test file, removed afterwards). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function makeTempDir(prefix: string): { dir: string; file(name: string, content?: string | Buffer): string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hemasynth-${prefix}-`));
  return {
    dir,
    file(name: string, content?: string | Buffer) {
      const p = path.join(dir, name);
      if (content !== undefined) fs.writeFileSync(p, content);
      return p;
    },
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
