import { apiErrors } from './api-error.js';
import {
  toxicAttributesPassType,
  toxicUpdateType,
  toxicWrapperType,
  type ToxicCreateBody,
} from './api-go-types.js';
import { goDecode } from './go-json.js';
import type { ToxicCollection } from './toxic-collection.js';
import { parseDirection, type ToxicWrapper } from './toxic-wrapper.js';
import { findToxicType } from './toxics/registry.js';
import type { Attributes, ToxicType } from './toxics/toxic-type.js';

/**
 * Toxic creation with Toxiproxy's checks in Toxiproxy's order, so a request with several problems gets the
 * same error as from the official server: body → stream → default name → type → duplicate name →
 * attributes. After that comes geoctl's own check (the type's validate()), answered like upstream
 * Toxiproxy's later ValidatedToxic: 400 "bad request body: <reason>".
 */
export async function createToxic(toxics: ToxicCollection, body: string): Promise<ToxicWrapper> {
  const initial: ToxicCreateBody & { attributes: Record<string, never> } = {
    attributes: {},
    name: '',
    type: '',
    stream: 'downstream',
    toxicity: 1,
  };
  const first = goDecode(body, toxicWrapperType, initial);
  if (!first.ok) throw apiErrors.badRequestBody(first.error);
  const input = first.value as ToxicCreateBody;

  const direction = parseDirection(input.stream);
  if (!direction) throw apiErrors.invalidStream();
  // The raw stream string, so "UPSTREAM" gives "latency_UPSTREAM" as in Toxiproxy.
  const name = input.name === '' ? `${input.type}_${input.stream}` : input.name;
  const type = findToxicType(input.type);
  if (!type) throw apiErrors.invalidToxicType();
  if (toxics.find(name)) throw apiErrors.toxicExists();

  // Toxiproxy decodes the body a second time once the type (and so the attribute struct) is known.
  const second = goDecode(body, toxicAttributesPassType(type), { attributes: zeroAttributes(type) });
  if (!second.ok) throw apiErrors.badRequestBody(second.error);
  const attributes = attributesOf(type, (second.value as { attributes: unknown }).attributes);
  checkAttributes(type, attributes);

  const wrapper: ToxicWrapper = {
    name,
    type,
    stream: input.stream,
    direction,
    toxicity: input.toxicity,
    attributes,
  };
  // find() and add() run in the same tick, so two concurrent creations cannot both take one name.
  await toxics.add(wrapper);
  return wrapper;
}

/** Merges the body's attributes onto the current ones; toxicity is kept when omitted; name/type/stream are ignored. */
export async function updateToxic(
  toxics: ToxicCollection,
  name: string,
  body: string,
): Promise<ToxicWrapper> {
  const current = toxics.find(name);
  if (!current) throw apiErrors.toxicNotFound();
  const initial = {
    attributes: { ...zeroAttributes(current.type), ...current.attributes },
    toxicity: current.toxicity,
  };
  const decoded = goDecode(body, toxicUpdateType(current.type), initial);
  if (!decoded.ok) throw apiErrors.badRequestBody(decoded.error);
  const value = decoded.value as { attributes: unknown; toxicity: number };
  const attributes = attributesOf(current.type, value.attributes);
  checkAttributes(current.type, attributes);
  const updated: ToxicWrapper = { ...current, attributes, toxicity: value.toxicity };
  await toxics.update(updated);
  return updated;
}

export async function removeToxic(toxics: ToxicCollection, name: string): Promise<void> {
  const current = toxics.find(name);
  if (!current) throw apiErrors.toxicNotFound();
  await toxics.remove(current);
}

function zeroAttributes(type: ToxicType): Attributes {
  return Object.fromEntries(Object.keys(type.attributes).map((key) => [key, 0]));
}

/** Keeps exactly the type's attributes, as numbers (the decoder guarantees their Go integer range). */
function attributesOf(type: ToxicType, decoded: unknown): Attributes {
  const source = typeof decoded === 'object' && decoded !== null ? (decoded as Record<string, unknown>) : {};
  const out: Attributes = {};
  for (const key of Object.keys(type.attributes)) {
    const value = source[key];
    out[key] = typeof value === 'number' ? value : 0;
  }
  return out;
}

function checkAttributes(type: ToxicType, attributes: Attributes): void {
  const problem = type.validate?.(attributes);
  if (problem !== undefined) throw apiErrors.badRequestBody(problem);
}
