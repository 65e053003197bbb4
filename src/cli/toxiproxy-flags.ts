import { Flags } from '@oclif/core';

/** The flag every command that talks to Toxiproxy shares. */
export const toxiproxyUrlFlag = Flags.string({
  description: 'Toxiproxy API URL (default: TOXIPROXY_URL, else http://127.0.0.1:8474)',
  helpValue: 'http://127.0.0.1:8474',
});
