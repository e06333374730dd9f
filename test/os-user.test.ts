import { mkdtempSync, mkdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chownTree } from '../cluster/os-user.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'teranga-chown-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('chownTree', () => {
  it('walks a tree whose files vanish while it walks (a running server removes its temporary files)', () => {
    mkdirSync(path.join(dir, 'base', '1'), { recursive: true });
    writeFileSync(path.join(dir, 'base', '1', 'kept'), 'x');
    // a name listed by readdir whose file is gone by the time it is reached: chown follows the link, finds nothing
    symlinkSync(path.join(dir, 'removed-meanwhile'), path.join(dir, 'base', '1', 'pg_internal.init'));
    const self = { uid: process.getuid!(), gid: process.getgid!(), name: os.userInfo().username };
    expect(() => chownTree(self, dir)).not.toThrow();
    expect(statSync(path.join(dir, 'base', '1', 'kept')).uid).toBe(self.uid);
  });
});
