/**
 * `${VAR}` and `${VAR:-default}` in topology string values, as in shells and docker compose: the default
 * applies when VAR is unset or empty, and `$$` is a literal `$`. A bare `$VAR` is left alone, so values
 * that merely contain a dollar sign need no escaping.
 */
export interface Substituted {
  value: string;
  /** Problems in the text; they name variables and quote the text as written, never a variable's value. */
  problems: string[];
}

const REFERENCE = /\$\$|\$\{([^}]*)\}|\$\{/g;
const INNER = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

export function substituteEnv(text: string, env: NodeJS.ProcessEnv): Substituted {
  const problems: string[] = [];
  const value = text.replace(REFERENCE, (match: string, inner: string | undefined) => {
    if (match === '$$') return '$';
    if (inner === undefined) {
      problems.push(`"\${" without a closing "}"; expected \${NAME} or \${NAME:-default}`);
      return match;
    }
    return expand(inner, env, problems) ?? match;
  });
  return { value, problems };
}

function expand(inner: string, env: NodeJS.ProcessEnv, problems: string[]): string | undefined {
  const parsed = INNER.exec(inner);
  const name = parsed?.[1];
  if (parsed === null || name === undefined) {
    problems.push(`"\${${inner}}" is not a variable reference; expected \${NAME} or \${NAME:-default}`);
    return undefined;
  }
  const fallback = parsed[2];
  const found = env[name];
  if (found !== undefined && (found !== '' || fallback === undefined)) return found;
  if (fallback !== undefined) return fallback;
  problems.push(`environment variable ${name} is not set (set it, or give a default: \${${name}:-value})`);
  return undefined;
}
