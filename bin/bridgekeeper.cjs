#!/usr/bin/env node
'use strict';
// The CLI runs straight from the TypeScript sources (no build step): tsx compiles them on require.
require('tsx/cjs');
const { main } = require('../src/cli/main.ts');

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    // main() handles every expected failure itself; reaching here is a bug, so show everything.
    console.error(error);
    process.exitCode = 1;
  },
);
