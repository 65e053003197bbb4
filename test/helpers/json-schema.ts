/**
 * A small JSON Schema (draft 2020-12) checker for the keywords docs/report-schema.json uses. It refuses a
 * keyword it does not know, so the schema cannot grow a constraint this check silently ignores.
 */
type Schema = Record<string, unknown>;

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', '$defs']);

export function validateJson(root: Schema, value: unknown): string[] {
  const problems: string[] = [];
  check(root, value, '$');
  return problems;

  function check(schema: Schema, v: unknown, path: string): void {
    for (const [keyword, arg] of Object.entries(schema)) {
      if (ANNOTATIONS.has(keyword)) continue;
      switch (keyword) {
        case '$ref': {
          const name = String(arg).replace(/^#\/\$defs\//, '');
          const target = (root.$defs as Record<string, Schema> | undefined)?.[name];
          if (!target) problems.push(`${path}: unresolvable $ref ${String(arg)}`);
          else check(target, v, path);
          break;
        }
        case 'type': {
          const types = Array.isArray(arg) ? (arg as string[]) : [arg as string];
          if (!types.some((t) => isType(v, t)))
            problems.push(`${path}: ${JSON.stringify(v)?.slice(0, 60)} is not ${types.join('|')}`);
          break;
        }
        case 'required':
          if (isObject(v))
            for (const key of arg as string[]) if (!(key in v)) problems.push(`${path}: missing "${key}"`);
          break;
        case 'properties':
          if (isObject(v))
            for (const [key, sub] of Object.entries(arg as Record<string, Schema>))
              if (key in v) check(sub, v[key], `${path}.${key}`);
          break;
        case 'additionalProperties':
          if (isObject(v)) {
            const known = new Set(Object.keys((schema.properties as Schema | undefined) ?? {}));
            for (const key of Object.keys(v))
              if (!known.has(key)) {
                if (arg === false) problems.push(`${path}: unexpected "${key}"`);
                else if (typeof arg === 'object') check(arg as Schema, v[key], `${path}.${key}`);
              }
          }
          break;
        case 'items':
          if (Array.isArray(v)) v.forEach((item, i) => check(arg as Schema, item, `${path}[${i}]`));
          break;
        case 'maxItems':
          if (Array.isArray(v) && v.length > (arg as number))
            problems.push(`${path}: more than ${arg} items`);
          break;
        case 'enum':
          if (!(arg as unknown[]).includes(v))
            problems.push(`${path}: ${JSON.stringify(v)} not in ${JSON.stringify(arg)}`);
          break;
        case 'const':
          if (v !== arg) problems.push(`${path}: ${JSON.stringify(v)} is not ${JSON.stringify(arg)}`);
          break;
        case 'minimum':
          if (typeof v === 'number' && v < (arg as number)) problems.push(`${path}: ${v} < ${arg}`);
          break;
        case 'exclusiveMinimum':
          if (typeof v === 'number' && v <= (arg as number)) problems.push(`${path}: ${v} <= ${arg}`);
          break;
        case 'anyOf': {
          const before = problems.length;
          const ok = (arg as Schema[]).some((sub) => {
            const mark = problems.length;
            check(sub, v, path);
            const passed = problems.length === mark;
            problems.length = mark;
            return passed;
          });
          problems.length = before;
          if (!ok) problems.push(`${path}: matches none of anyOf`);
          break;
        }
        default:
          problems.push(`${path}: the checker does not know the keyword "${keyword}"`);
      }
    }
  }
}

function isType(v: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return v === null;
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    default:
      return typeof v === type;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
