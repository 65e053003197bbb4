import type { GoType } from './go-json.js';
import type { ToxicType } from './toxics/toxic-type.js';

/**
 * The Go types Toxiproxy decodes request bodies into. Their names and field lists decide the exact text of
 * decoding errors ("… into Go struct field Proxy.enabled of type bool"), so they mirror the official structs.
 */

const stringType: GoType = { kind: 'string' };
const boolType: GoType = { kind: 'bool' };

/** toxiproxy.Proxy's `Logger *zerolog.Logger` has no exported fields: any object decodes, a scalar is a type error. */
const loggerField = {
  json: 'Logger',
  type: {
    kind: 'pointer',
    elem: { kind: 'struct', name: 'Logger', typeString: 'zerolog.Logger', fields: [] },
  },
} as const satisfies { json: string; type: GoType };

export interface ProxyBody {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
}

/** Body of POST /proxies and of proxy updates. */
export const proxyBodyType: GoType = {
  kind: 'struct',
  name: 'Proxy',
  typeString: 'toxiproxy.Proxy',
  fields: [
    { json: 'name', type: stringType },
    { json: 'listen', type: stringType },
    { json: 'upstream', type: stringType },
    { json: 'enabled', type: boolType },
    loggerField,
  ],
};

export interface PopulateItem {
  name: string;
  listen: string;
  upstream: string;
  /** undefined when omitted or null (Go's nil *bool): the proxy is then enabled. */
  enabled: boolean | undefined;
}

const populateItemTypeString = 'struct { toxiproxy.Proxy; Enabled *bool "json:\\"enabled\\"" }';

/** Body of /populate and the config file: Proxy embedded, with `enabled` overridden as a nullable *bool. */
export const populateBodyType: GoType = {
  kind: 'slice',
  typeString: `[]${populateItemTypeString}`,
  elem: {
    kind: 'struct',
    name: '',
    typeString: populateItemTypeString,
    fields: [
      { json: 'name', type: stringType },
      { json: 'listen', type: stringType },
      { json: 'upstream', type: stringType },
      loggerField,
      { json: 'enabled', type: { kind: 'pointer', elem: boolType } },
    ],
  },
};

export interface ToxicCreateBody {
  name: string;
  type: string;
  stream: string;
  toxicity: number;
}

/**
 * First pass of toxic creation: toxics.ToxicWrapper, whose `attributes` still holds a NoopToxic (no fields)
 * because the type is not known yet.
 */
export const toxicWrapperType: GoType = {
  kind: 'struct',
  name: 'ToxicWrapper',
  typeString: 'toxics.ToxicWrapper',
  fields: [
    {
      json: 'attributes',
      type: { kind: 'struct', name: 'NoopToxic', typeString: 'toxics.NoopToxic', fields: [] },
    },
    { json: 'name', type: stringType },
    { json: 'type', type: stringType },
    { json: 'stream', type: stringType },
    { json: 'toxicity', type: { kind: 'float', goName: 'float32' } },
  ],
};

/** The toxic's own attribute struct, e.g. toxics.LatencyToxic {latency int64; jitter int64}. */
export function attributesType(toxic: ToxicType): GoType {
  return {
    kind: 'struct',
    name: toxic.goStruct,
    typeString: `toxics.${toxic.goStruct}`,
    fields: Object.entries(toxic.attributes).map(([json, goName]) => ({
      json,
      type: { kind: 'int', goName },
    })),
  };
}

/** Second pass of creation: `struct { Attributes interface{} "json:\"attributes\"" }` holding the typed toxic. */
export function toxicAttributesPassType(toxic: ToxicType): GoType {
  return {
    kind: 'struct',
    name: '',
    typeString: 'struct { Attributes interface {} "json:\\"attributes\\"" }',
    fields: [{ json: 'attributes', type: attributesType(toxic) }],
  };
}

/** Toxic update: `struct { Attributes interface{}; Toxicity float32 }` pre-filled with the current values. */
export function toxicUpdateType(toxic: ToxicType): GoType {
  return {
    kind: 'struct',
    name: '',
    typeString:
      'struct { Attributes interface {} "json:\\"attributes\\""; Toxicity float32 "json:\\"toxicity\\"" }',
    fields: [
      { json: 'attributes', type: attributesType(toxic) },
      { json: 'toxicity', type: { kind: 'float', goName: 'float32' } },
    ],
  };
}
