/**
 * Applies the numbered SQL files of `migrations/` to one database and records what ran, with a
 * checksum, in `teranga_migration`. Re-running is a no-op; a recorded file whose text changed is an
 * error (a migration, once applied, is never edited).
 *
 * Files for a database role come from its own folder and, for the three sites, from `site/` too;
 * they run in the order of their number.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { SITE_IDS, type SiteId } from './sites.ts';
import type { DatabaseRole } from './topology.ts';

export interface MigrationFile {
  readonly name: string;
  readonly path: string;
  readonly sql: string;
  readonly checksum: string;
}

export interface MigrationResult {
  readonly applied: string[];
  readonly skipped: string[];
}

const FILE_PATTERN = /^(\d{3})_[a-z0-9_]+\.sql$/;

export function migrationFolders(role: DatabaseRole): string[] {
  return (SITE_IDS as readonly string[]).includes(role) ? ['site', role as SiteId] : [role];
}

export function migrationFiles(root: string, role: DatabaseRole): MigrationFile[] {
  const files: MigrationFile[] = [];
  for (const folder of migrationFolders(role)) {
    const dir = path.join(root, 'migrations', folder);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir)) {
      if (!FILE_PATTERN.test(entry)) continue;
      const file = path.join(dir, entry);
      const sql = readFileSync(file, 'utf8');
      files.push({
        name: `${folder}/${entry}`,
        path: file,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      });
    }
  }
  return files.sort((a, b) => path.basename(a.name).localeCompare(path.basename(b.name)) || a.name.localeCompare(b.name));
}

export async function migrate(client: pg.ClientBase, root: string, role: DatabaseRole): Promise<MigrationResult> {
  await client.query(`CREATE TABLE IF NOT EXISTS teranga_migration (
    name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  // one runner at a time per database
  await client.query('SELECT pg_advisory_lock(7247001)');
  try {
    const done = new Map(
      (await client.query<{ name: string; checksum: string }>('SELECT name, checksum FROM teranga_migration')).rows.map(
        (r) => [r.name, r.checksum],
      ),
    );
    const result: MigrationResult = { applied: [], skipped: [] };
    for (const file of migrationFiles(root, role)) {
      const recorded = done.get(file.name);
      if (recorded !== undefined) {
        if (recorded !== file.checksum) {
          throw new Error(`Migration ${file.name} changed after it was applied to ${role}; add a new migration instead`);
        }
        result.skipped.push(file.name);
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(file.sql);
        await client.query('INSERT INTO teranga_migration (name, checksum) VALUES ($1, $2)', [file.name, file.checksum]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`Migration ${file.name} failed on ${role}: ${(error as Error).message}`);
      }
      result.applied.push(file.name);
    }
    return result;
  } finally {
    await client.query('SELECT pg_advisory_unlock(7247001)');
  }
}
