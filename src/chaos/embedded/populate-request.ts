import { apiErrors } from './api-error.js';
import { populateBodyType, type PopulateItem } from './api-go-types.js';
import { goDecode } from './go-json.js';
import type { PopulateEntry } from './proxy-collection.js';

/**
 * Decodes and validates a /populate body (also the config file's format) before anything changes, as
 * Toxiproxy does: the whole array first, then the entries are applied in order. Throws the 400 ApiError
 * the API answers with.
 */
export function parsePopulateBody(body: string): PopulateEntry[] {
  const decoded = goDecode(body, populateBodyType, []);
  if (!decoded.ok) throw apiErrors.badRequestBody(decoded.error);
  const items = (decoded.value ?? []) as PopulateItem[];
  return items.map((item, index) => {
    if (item.name.length < 1) throw apiErrors.missingField(`name at proxy ${index + 1}`);
    if (item.upstream.length < 1) throw apiErrors.missingField(`upstream at proxy ${index + 1}`);
    return { name: item.name, listen: item.listen, upstream: item.upstream, enabled: item.enabled ?? true };
  });
}
