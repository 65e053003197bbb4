import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

// The README promises a complete custom adapter; the tested one is fixtures/adapters/memcached-adapter.mjs.
// This keeps the two from drifting apart.
describe('README custom adapter example', () => {
  it('is fixtures/adapters/memcached-adapter.mjs, verbatim', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const adapter = await readFile(
      new URL('../../fixtures/adapters/memcached-adapter.mjs', import.meta.url),
      'utf8',
    );
    const block = /<!-- memcached-adapter -->\s*```js\n([\s\S]*?)```\s*<!-- memcached-adapter-end -->/.exec(
      readme,
    );
    expect(block, 'README.md has no memcached-adapter block').not.toBeNull();
    expect(block![1]).toBe(adapter);
    expect(adapter.split('\n').length).toBeLessThan(50);
  });
});
