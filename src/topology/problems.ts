import type { LineCounter } from 'yaml';

/** One thing wrong with a topology file, located so an editor can jump to it. */
export interface Problem {
  file: string;
  line: number;
  column: number;
  /** Dotted path in the document, e.g. `regions.eu-west.client.listen`; empty for YAML syntax errors. */
  path: string;
  message: string;
}

/**
 * Collects every problem instead of stopping at the first, so one run shows the user everything to fix.
 * Positions are character offsets into the source; the line counter turns them into line and column.
 */
export class ProblemList {
  private readonly items: Problem[] = [];

  constructor(
    private readonly file: string,
    private readonly lines: LineCounter,
  ) {}

  add(offset: number, path: string, message: string): void {
    const { line, col } = this.lines.linePos(offset);
    this.items.push({ file: this.file, line, column: col, path, message });
  }

  /** The problems in file order; problems found by later cross-checks slot in where they occur. */
  sorted(): Problem[] {
    return [...this.items].sort((a, b) => a.line - b.line || a.column - b.column);
  }

  get size(): number {
    return this.items.length;
  }

  /** Removes and returns the problems whose path is `prefix` or lies under it. */
  takeUnder(prefix: string): Problem[] {
    const taken = this.items.filter((p) => p.path === prefix || p.path.startsWith(`${prefix}.`));
    for (const problem of taken) this.items.splice(this.items.indexOf(problem), 1);
    return taken;
  }

  addProblems(problems: Problem[]): void {
    this.items.push(...problems);
  }
}

export function formatProblem(problem: Problem): string {
  const where = `${problem.file}:${problem.line}:${problem.column}`;
  return problem.path === '' ? `${where} ${problem.message}` : `${where} ${problem.path}: ${problem.message}`;
}

/** `regions.eu-west`, or `regions["odd name"]` when the key would make the dotted path unreadable. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  const segment = /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
  if (parent === '') return segment;
  return segment.startsWith('"') ? `${parent}[${segment}]` : `${parent}.${segment}`;
}
