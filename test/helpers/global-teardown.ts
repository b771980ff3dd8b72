import { rmSync } from 'node:fs';
import type { DevServer } from '../../src/infra/temporal-cli';
import type { EmbeddedPostgres } from '../../src/infra/postgres';

export default async function globalTeardown(): Promise<void> {
  const stack = (globalThis as Record<string, unknown>).__readinessStack as
    { temporal: DevServer; pg: EmbeddedPostgres; dir: string } | undefined;
  if (!stack) return;
  await stack.temporal.stop().catch(() => undefined);
  await stack.pg.stop().catch(() => undefined);
  if (!process.env.READINESS_KEEP_TEST_DIR) rmSync(stack.dir, { recursive: true, force: true });
}
