import { Flags } from '@oclif/core';
import { GeoctlCommand } from '../../cli/base-command.js';
import { stopWhenLauncherGoes } from '../../cli/serve-relaunch.js';
import { waitForShutdownSignal } from '../../cli/signals.js';

export default class ToxiproxyServe extends GeoctlCommand {
  static override summary = "Run geoctl's embedded Toxiproxy-compatible server (API and proxies).";
  static override description = `Serves the Toxiproxy 2.x HTTP API and TCP proxies, so toxiproxy-cli, toxiproxy clients and geoctl itself can drive it. Binds 127.0.0.1 unless --host says otherwise. Runs until SIGINT or SIGTERM, then closes every listener and connection.

With --json, prints one JSON line per event on stdout: {"event":"listening","url":...} when ready and {"event":"stopped",...} at the end.`;

  static override examples = [
    '<%= config.bin %> toxiproxy serve',
    '<%= config.bin %> toxiproxy serve --port 0 --json',
    '<%= config.bin %> toxiproxy serve --config proxies.json --proxy-metrics',
  ];

  static override flags = {
    host: Flags.string({ description: 'address to bind the API to', default: '127.0.0.1' }),
    port: Flags.integer({ description: 'API port (0 picks a free one)', default: 8474, min: 0, max: 65535 }),
    config: Flags.string({
      description: 'JSON file of proxies to create at startup (the /populate format)',
      helpValue: 'proxies.json',
    }),
    'proxy-metrics': Flags.boolean({
      description: 'serve per-proxy byte counters on /metrics',
      default: false,
    }),
    'runtime-metrics': Flags.boolean({ description: 'serve process metrics on /metrics', default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ToxiproxyServe);
    const shutdown = waitForShutdownSignal();
    stopWhenLauncherGoes();
    const { startEmbeddedToxiproxyThread } = await import('../../chaos/embedded/threaded-server.js');
    let server;
    try {
      server = await startEmbeddedToxiproxyThread({
        host: flags.host,
        port: flags.port,
        configFile: flags.config,
        proxyMetrics: flags['proxy-metrics'],
        runtimeMetrics: flags['runtime-metrics'],
      });
    } catch (error) {
      shutdown.cancel();
      throw error;
    }
    const proxyCount = server.initialProxies;
    // Started in the background by geoctl (toxiproxy: embedded): report readiness over IPC, then let go.
    if (process.send && process.env.GEOCTL_DAEMON === '1') {
      process.send({ event: 'listening', url: server.url });
      process.disconnect?.();
    }
    if (this.jsonEnabled())
      this.emitJsonLine({ event: 'listening', url: server.url, proxies: proxyCount, pid: process.pid });
    else {
      this.log(`Toxiproxy-compatible API listening on ${server.url}`);
      this.note(`${proxyCount} prox${proxyCount === 1 ? 'y' : 'ies'} loaded. Press Ctrl-C to stop.`);
    }
    const signal = await shutdown.promise;
    await server.close();
    if (this.jsonEnabled()) this.emitJsonLine({ event: 'stopped', signal });
    else this.note(`Stopped on ${signal}; all proxies and connections closed.`);
  }
}
