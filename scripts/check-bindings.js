#!/usr/bin/env node
// Checks that the addon exports exactly the functions declared in src/native/<area>.ts
// (interfaces named <Area>Bindings, one method per native function).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dir = path.join(root, 'src', 'native');
const declared = new Map();
for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
  const text = fs.readFileSync(path.join(dir, f), 'utf8');
  const re = /export interface (\w+Bindings)\s*\{([\s\S]*?)^\}/gm;
  let m;
  while ((m = re.exec(text))) {
    for (const line of m[2].split('\n')) {
      const fm = /^\s{2}(\w+)\s*\(/.exec(line);
      if (fm) declared.set(fm[1], `${f}:${m[1]}`);
    }
  }
}
const addonPath = process.env.HEMASYNTH_ADDON || path.join(root, 'build', 'Release', 'hemasynth.node');
const addon = require(addonPath);
const exported = new Set(Object.keys(addon).filter((k) => typeof addon[k] === 'function'));
const missing = [...declared.keys()].filter((k) => !exported.has(k));
const undeclared = [...exported].filter((k) => !declared.has(k));
if (missing.length || undeclared.length) {
  if (missing.length) console.error(`declared in src/native but not exported by the addon: ${missing.join(', ')}`);
  if (undeclared.length) console.error(`exported by the addon but not declared in src/native: ${undeclared.join(', ')}`);
  process.exit(1);
}
console.log(`bindings check: ${declared.size} functions declared and exported`);
