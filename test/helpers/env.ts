import { Pool } from 'pg';
import pino from 'pino';

/** The shared Temporal dev server and Postgres started by the global setup. */
export const testEnv = {
  get temporalAddress(): string {
    return need('READINESS_TEST_TEMPORAL_ADDRESS');
  },
  get databaseUrl(): string {
    return need('READINESS_TEST_DATABASE_URL');
  },
  get dir(): string {
    return need('READINESS_TEST_DIR');
  },
};

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run tests through jest's global setup`);
  return v;
}

/** A quiet logger for tests. */
export const quietLogger = () => pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** A pg pool on the test database. */
export const testPool = () => new Pool({ connectionString: testEnv.databaseUrl, max: 2 });

/** A unique suffix for ids and task queues. */
export const uid = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
