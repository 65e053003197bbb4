import type { LineCounter, YAMLError } from 'yaml';
import type { ProblemList } from './problems.js';

const MAX_SYNTAX_ERRORS = 10;

const FLOW_VARIABLE_HINT =
  '; inside { } or [ ], quote a value that uses ${VAR}, e.g. upstream: "${DB_HOST}:7001"';

/**
 * Records YAML syntax errors, leaving out the echoes of an earlier one: once a mistake has closed the
 * document early, the parser reports every later token as "... token in YAML stream", and it may report a
 * line several times. So: the first error on each line, no stream-level echoes, at most ten lines.
 */
export function addSyntaxErrors(
  errors: readonly YAMLError[],
  source: string,
  lines: LineCounter,
  problems: ProblemList,
): void {
  const seenLines = new Set<number>();
  for (const error of errors) {
    const { line } = lines.linePos(error.pos[0]);
    if (seenLines.has(line) || (seenLines.size > 0 && isStreamEcho(error))) continue;
    seenLines.add(line);
    if (seenLines.size > MAX_SYNTAX_ERRORS) return;
    // `${` in a plain scalar inside { } or [ ] reads as "$" then a flow map: the commonest way to get here.
    const hint = source[error.pos[0] - 1] === '$' ? FLOW_VARIABLE_HINT : '';
    problems.add(error.pos[0], '', `YAML syntax error: ${error.message}${hint}`);
  }
}

function isStreamEcho(error: YAMLError): boolean {
  return error.code === 'UNEXPECTED_TOKEN' && error.message.includes('token in YAML stream');
}
