/**
 * @module control/store/sqlite/key-repos
 * SQLite repositories for public keys and key groups (migration 003). A key group's public key
 * ids are a JSON array column, kept in the order the user gave.
 */
import type Database from 'better-sqlite3';
import { keyGroupOf, publicKeyOf, type Row } from '../rows.js';
import type { KeyGroupRepo, PublicKeyRepo } from '../types.js';

export function publicKeyRepo(db: Database.Database): PublicKeyRepo {
  const map = publicKeyOf;
  const one = (sql: string) => {
    const st = db.prepare(sql);
    return (v: string) => {
      const r = st.get(v) as Row | undefined;
      return r && map(r);
    };
  };
  return {
    get: one('SELECT * FROM public_keys WHERE id = ?'),
    byName: one('SELECT * FROM public_keys WHERE name = ?'),
    list: () => (db.prepare('SELECT * FROM public_keys ORDER BY created_at, id').all() as Row[]).map(map),
    insert: (k) =>
      void db
        .prepare('INSERT INTO public_keys (id, name, encoded_key, comment, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(k.id, k.name, k.encodedKey, k.comment, k.createdAt),
    delete: (id) => void db.prepare('DELETE FROM public_keys WHERE id = ?').run(id),
  };
}

export function keyGroupRepo(db: Database.Database): KeyGroupRepo {
  const map = keyGroupOf;
  const one = (sql: string) => {
    const st = db.prepare(sql);
    return (v: string) => {
      const r = st.get(v) as Row | undefined;
      return r && map(r);
    };
  };
  return {
    get: one('SELECT * FROM key_groups WHERE id = ?'),
    byName: one('SELECT * FROM key_groups WHERE name = ?'),
    list: () => (db.prepare('SELECT * FROM key_groups ORDER BY created_at, id').all() as Row[]).map(map),
    insert: (g) =>
      void db
        .prepare(
          'INSERT INTO key_groups (id, name, comment, public_key_ids, revision, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(g.id, g.name, g.comment, JSON.stringify(g.publicKeyIds), g.revision, g.createdAt, g.updatedAt),
    update: (g) =>
      void db
        .prepare(
          'UPDATE key_groups SET name = ?, comment = ?, public_key_ids = ?, revision = ?, updated_at = ? WHERE id = ?',
        )
        .run(g.name, g.comment, JSON.stringify(g.publicKeyIds), g.revision, g.updatedAt, g.id),
    delete: (id) => void db.prepare('DELETE FROM key_groups WHERE id = ?').run(id),
  };
}
