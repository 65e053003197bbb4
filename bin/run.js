#!/usr/bin/env node
import { relaunchServeWithServerFlags } from '../dist/cli/serve-relaunch.js';

// `toxiproxy serve` runs in a process started with the server's Node flags; everything else runs here.
if (!relaunchServeWithServerFlags(process.argv.slice(2), import.meta.url)) {
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url });
}
