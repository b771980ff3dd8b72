import { Client } from 'pg';
import { testEnv, uid } from './env';

/** The test Postgres URL with another database name. */
export const withDb = (db: string): string => {
  const u = new URL(testEnv.databaseUrl);
  u.pathname = `/${db}`;
  return u.toString();
};

/**
 * Creates a source database whose restore takes about `rows` milliseconds on any machine: a CHECK constraint
 * calls a function that sleeps 1 ms, and pg_restore evaluates it for every row it copies in. Tests that must
 * act while pg_restore runs (a kill, an abort) use it instead of a big table. Returns the database's name.
 */
export async function slowRestoreDb(prefix: string, rows: number): Promise<string> {
  const name = `${prefix}_${uid()}`;
  const admin = new Client({ connectionString: withDb('postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const c = new Client({ connectionString: withDb(name) });
  await c.connect();
  await c.query(`
    CREATE FUNCTION slow_ok(i int) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN PERFORM pg_sleep(0.001); RETURN i IS NOT NULL; END $$;
    CREATE TABLE orders (id int PRIMARY KEY, total numeric(10,2) NOT NULL, note text);
    INSERT INTO orders SELECT g, g * 1.25, md5(g::text) FROM generate_series(1, ${rows}) g;
    ALTER TABLE orders ADD CONSTRAINT restored_slowly CHECK (slow_ok(id));`);
  await c.end();
  return name;
}
