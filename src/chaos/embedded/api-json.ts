import { formatGoFloat32 } from './go-json.js';
import type { Proxy } from './proxy.js';
import type { ToxicWrapper } from './toxic-wrapper.js';

/**
 * The API's response bodies, encoded as Go's json.Marshal encodes Toxiproxy's structs: fixed key order,
 * `"Logger":{}` on proxies, float32 toxicity, and Go's string escaping (HTML characters as \u003c etc.),
 * so a client diffing our bodies against the official server's sees no difference.
 */

const HEX = '0123456789abcdef';

/** A JSON string literal as Go's encoder writes it (escapeHTML on, as json.Marshal has it). */
export function goString(text: string): string {
  let out = '"';
  let runStart = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    let escape: string | undefined;
    if (code === 0x22) escape = '\\"';
    else if (code === 0x5c) escape = '\\\\';
    else if (code < 0x20 || code === 0x3c || code === 0x3e || code === 0x26) escape = shortEscape(code);
    else if (code === 0x2028 || code === 0x2029) escape = `\\u${code.toString(16)}`;
    else if (code >= 0xd800 && code <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      // A lone surrogate is not valid UTF-8; Go writes U+FFFD for invalid bytes.
      escape = '\\ufffd';
    }
    if (escape === undefined) continue;
    out += text.slice(runStart, i) + escape;
    runStart = i + 1;
  }
  return out + text.slice(runStart) + '"';
}

function shortEscape(code: number): string {
  switch (code) {
    case 0x08:
      return '\\b';
    case 0x0c:
      return '\\f';
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    case 0x09:
      return '\\t';
    default:
      return `\\u00${HEX[code >> 4]}${HEX[code & 0xf]}`;
  }
}

function goInt(value: number): string {
  // Attributes are Go integers; a value past 2^53 has already lost digits in decoding, so print it whole.
  return Number.isSafeInteger(value) ? String(value) : BigInt(Math.trunc(value)).toString();
}

/** `{"attributes":{…},"name":…,"type":…,"stream":…,"toxicity":…}`, attributes zero-defaulted in Go field order. */
export function toxicJson(toxic: ToxicWrapper): string {
  const attributes = Object.keys(toxic.type.attributes)
    .map((key) => `${goString(key)}:${goInt(toxic.attributes[key] ?? 0)}`)
    .join(',');
  return (
    `{"attributes":{${attributes}},"name":${goString(toxic.name)},"type":${goString(toxic.type.name)},` +
    `"stream":${goString(toxic.stream)},"toxicity":${formatGoFloat32(toxic.toxicity)}}`
  );
}

export function toxicListJson(toxics: readonly ToxicWrapper[]): string {
  return `[${toxics.map(toxicJson).join(',')}]`;
}

/** A proxy with its toxics; `"Logger":{}` is the exported zerolog field Toxiproxy 2.12.0 leaks into its JSON. */
export function proxyJson(proxy: Proxy): string {
  return (
    `{"name":${goString(proxy.name)},"listen":${goString(proxy.listen)},"upstream":${goString(proxy.upstream)},` +
    `"enabled":${proxy.enabled},"Logger":{},"toxics":${toxicListJson(proxy.toxics.list())}}`
  );
}

/** GET /proxies: an object keyed by name; Go sorts map keys by their bytes, as `list()` returns them. */
export function proxyIndexJson(proxies: readonly Proxy[]): string {
  const byName = [...proxies].sort((a, b) => compareUtf8(a.name, b.name));
  return `{${byName.map((proxy) => `${goString(proxy.name)}:${proxyJson(proxy)}`).join(',')}}`;
}

/** Go compares strings bytewise (UTF-8), which differs from UTF-16 order above the BMP. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The error document: `{"error":…,"status":…}`. */
export function errorJson(message: string, status: number): string {
  return `{"error":${goString(message)},"status":${status}}`;
}

/**
 * /populate's body: the error fields only when there is an error, and `"proxies":null` for an empty list
 * (Go's nil slice), as the official server's anonymous struct marshals.
 */
export function populateJson(proxies: readonly Proxy[], error?: { message: string; status: number }): string {
  const list = proxies.length === 0 ? 'null' : `[${proxies.map(proxyJson).join(',')}]`;
  const errorPart = error ? `"error":${goString(error.message)},"status":${error.status},` : '';
  return `{${errorPart}"proxies":${list}}`;
}
