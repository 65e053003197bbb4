import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDir } from './state-dir.js';

/**
 * An append-only record of the faults geoctl injected and healed (`faults.jsonl` in the state directory).
 * The Toxiproxy server is the source of truth for what is active; the journal adds what the toxic names
 * cannot carry (the command's summary, the server it went to) and survives the server's restart.
 */
export type JournalEntry =
  | {
      event: 'injected';
      id: string;
      summary: string;
      server: string;
      topology: string;
      createdAt: number;
      expiresAt?: number | undefined;
      proxies: string[];
    }
  | { event: 'healed'; id: string; at: number; how: string };

export class FaultJournal {
  constructor(private readonly dir: string) {}

  get file(): string {
    return join(this.dir, 'faults.jsonl');
  }

  async append(entry: JournalEntry): Promise<void> {
    await ensureDir(this.dir);
    await appendFile(this.file, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
  }

  /** Every entry that parses; a torn last line (geoctl killed mid-write) is skipped, not fatal. */
  async read(): Promise<JournalEntry[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return [];
    }
    const entries: JournalEntry[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        entries.push(JSON.parse(line) as JournalEntry);
      } catch {
        // skip
      }
    }
    return entries;
  }

  /** Summary of each injected fault by id. */
  async summaries(): Promise<Map<string, string>> {
    const map = new Map<string, string>();
    for (const entry of await this.read()) if (entry.event === 'injected') map.set(entry.id, entry.summary);
    return map;
  }
}
