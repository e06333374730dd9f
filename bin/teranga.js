#!/usr/bin/env node
// Runs the CLI from its bundle while that is current (`teranga up` builds it with the services':
// cluster/service-build.ts), else from its TypeScript through tsx, which takes twice the CPU to start.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CLI_ENTRY, currentBundle } from '../cluster/current-bundle.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundle = currentBundle(root, CLI_ENTRY);
if (bundle) {
  // stack traces name the TypeScript lines
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}
