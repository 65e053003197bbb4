/** cli-table3 loaded on first use, so commands that print no table do not pay for it at startup. */
export async function table(head: string[], rows: string[][]): Promise<string> {
  const { default: Table } = await import('cli-table3');
  const t = new Table({ head, style: { head: [], border: [], compact: true } });
  for (const row of rows) t.push(row);
  return t.toString();
}
