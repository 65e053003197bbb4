import { GeoctlError } from '../../errors.js';
import { ToxiproxyApi } from './api.js';
import { loadConfigFile } from './config-file.js';
import { ServerMetrics } from './metrics.js';
import { formatAddress } from './net-address.js';
import { ProxyCollection } from './proxy-collection.js';

export interface EmbeddedToxiproxyOptions {
  host?: string;
  port?: number;
  configFile?: string;
  proxyMetrics?: boolean;
  runtimeMetrics?: boolean;
  log?: (entry: Record<string, unknown>) => void;
}

export interface EmbeddedToxiproxy {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly proxies: ProxyCollection;
  close(): Promise<void>;
}

/**
 * Starts geoctl's Toxiproxy-compatible server: proxies from the config file first, then the HTTP API.
 * Binds 127.0.0.1 unless told otherwise (the official server's default, localhost, is as safe, but an
 * explicit address avoids IPv6/IPv4 surprises). Port 0 picks a free port; `port` then tells which.
 */
export async function startEmbeddedToxiproxy(
  options: EmbeddedToxiproxyOptions = {},
): Promise<EmbeddedToxiproxy> {
  const host = options.host ?? '127.0.0.1';
  const requestedPort = options.port ?? 8474;
  const log = options.log;
  const metrics = new ServerMetrics({
    proxyMetrics: options.proxyMetrics,
    runtimeMetrics: options.runtimeMetrics,
  });
  const proxies = new ProxyCollection(options.proxyMetrics ? metrics.observer : undefined);
  const release = async (): Promise<void> => {
    await proxies.closeAll();
    metrics.close();
  };

  if (options.configFile !== undefined) {
    try {
      const count = await loadConfigFile(proxies, options.configFile);
      log?.({
        level: 'info',
        message: 'Populated proxies from file',
        config: options.configFile,
        proxies: count,
      });
    } catch (error) {
      await release();
      throw error;
    }
  }

  const api = new ToxiproxyApi({ proxies, metrics, log });
  let port: number;
  try {
    port = (await api.listen(host, requestedPort)).port;
  } catch (error) {
    await release();
    throw listenError(error as NodeJS.ErrnoException, host, requestedPort);
  }
  const url = `http://${formatAddress(host, port)}`;
  log?.({ level: 'info', message: 'Starting Toxiproxy HTTP server', address: formatAddress(host, port) });

  let closing: Promise<void> | undefined;
  return {
    url,
    host,
    port,
    proxies,
    close() {
      closing ??= (async () => {
        await api.close();
        await release();
      })();
      return closing;
    },
  };
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): GeoctlError {
  const address = formatAddress(host, port);
  if (error.code === 'EADDRINUSE') {
    return new GeoctlError(
      'E_ADDRESS_IN_USE',
      `Cannot start the Toxiproxy API on ${address}: the address is already in use (another Toxiproxy or geoctl server may be running there).`,
      {
        hint: 'Stop the other server or choose another port (--port 0 picks a free one).',
        details: { host, port },
        cause: error,
      },
    );
  }
  return new GeoctlError('E_BIND', `Cannot start the Toxiproxy API on ${address}: ${error.message}.`, {
    hint: 'Check --host: it must be an address of this machine (127.0.0.1 by default).',
    details: { host, port },
    cause: error,
  });
}
