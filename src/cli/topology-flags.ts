import { Flags } from '@oclif/core';

/** Flags every command that works from a topology file shares. */
export const topologyFlags = {
  config: Flags.string({
    char: 'c',
    aliases: ['topology'],
    description: 'topology file (default: geoctl.yaml or geoctl.yml in the current directory)',
    helpValue: 'geoctl.yaml',
  }),
  'toxiproxy-url': Flags.string({
    description: "Toxiproxy API URL, overriding the topology's `toxiproxy:`",
    helpValue: 'http://127.0.0.1:8474',
  }),
};

/** Flags of the fault commands (partition, isolate, latency, bandwidth). */
export const faultFlags = {
  // Parsed by the command (parseDuration), so a bad value gets geoctl's own one-paragraph error.
  for: Flags.string({
    description: 'remove the fault after this long (stays in the foreground with a countdown; Ctrl-C heals)',
    helpValue: '30s',
  }),
  detach: Flags.boolean({
    description: 'with --for: return at once and leave the timer to a background healer',
    // No default: oclif treats a defaulted flag as given, and dependsOn would then always demand --for.
    dependsOn: ['for'],
  }),
  verify: Flags.boolean({
    description: 'check the effect with a probe connection through each affected proxy',
    default: true,
    allowNo: true,
  }),
};
