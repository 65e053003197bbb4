/** RFC 6901: `/a/0/b` into a parsed JSON document; undefined when any step is missing. '' is the whole. */
export function resolvePointer(document: unknown, pointer: string): unknown {
  if (pointer === '') return document;
  if (!pointer.startsWith('/')) return undefined;
  let current: unknown = document;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current)) current = /^\d+$/.test(token) ? current[Number(token)] : undefined;
    else if (typeof current === 'object' && current !== null)
      current = (current as Record<string, unknown>)[token];
    else return undefined;
  }
  return current;
}

export function isJsonPointer(text: string): boolean {
  return text === '' || text.startsWith('/');
}
