// Lets child processes of the federation tests run the TypeScript sources directly: compiles
// each required .ts file with typescript.transpileModule (CommonJS), as ts-jest does in-process.
'use strict';
const fs = require('node:fs');
const ts = require('typescript');
require.extensions['.ts'] = function compileTs(module, filename) {
  const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false },
    fileName: filename,
  });
  module._compile(out.outputText, filename);
};
