import { readFile } from 'node:fs/promises';
import { GeoctlError } from '../../errors.js';
import { ApiError } from './api-error.js';
import { parsePopulateBody } from './populate-request.js';
import type { PopulateEntry, ProxyCollection } from './proxy-collection.js';

const EXPECTED =
  'Expected a JSON array of proxies in the /populate format, e.g. ' +
  '[{"name":"web","listen":"127.0.0.1:18080","upstream":"127.0.0.1:8080","enabled":true}].';

/**
 * Loads a -config file into the collection with /populate's semantics. Unlike the official server, which
 * logs the problem and starts without the proxies, every failure is a GeoctlError: a chaos run against a
 * half-configured server would report faults that were never injected.
 */
export async function loadConfigFile(proxies: ProxyCollection, file: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String((error as Error).message);
    throw new GeoctlError(
      'E_CONFIG',
      `Cannot read the Toxiproxy config file ${file} (${reason}). ${EXPECTED}`,
      {
        details: { file },
        cause: error,
      },
    );
  }
  let entries: PopulateEntry[];
  try {
    entries = parsePopulateBody(text);
  } catch (error) {
    const reason = error instanceof ApiError ? error.message : String(error);
    throw new GeoctlError(
      'E_CONFIG',
      `The Toxiproxy config file ${file} is not valid: ${reason}. ${EXPECTED}`,
      {
        details: { file },
        cause: error,
      },
    );
  }
  const result = await proxies.populate(entries);
  if (result.error) {
    const failed = entries[result.proxies.length];
    const inUse = result.error.message.includes('address already in use');
    const what = failed ? `proxy "${failed.name}" (listen ${failed.listen || '(any)'})` : 'a proxy';
    throw new GeoctlError(
      inUse ? 'E_ADDRESS_IN_USE' : 'E_BIND',
      `Cannot start ${what} from the Toxiproxy config file ${file}: ${result.error.message}.`,
      {
        hint: inUse
          ? 'Another process holds that port: stop it or change "listen" in the file ("127.0.0.1:0" picks a free port).'
          : 'Check the "listen" address in the file: it must be host:port on this machine.',
        details: { file, proxy: failed?.name },
        cause: result.error,
      },
    );
  }
  return result.proxies.length;
}
