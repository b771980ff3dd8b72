// Keeps the Temporal SDK's own logs quiet in tests (TEST_LOG_LEVEL=debug to see them).
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

try {
  Runtime.install({ logger: new DefaultLogger((process.env.TEST_SDK_LOG_LEVEL as LogLevel) ?? 'ERROR') });
} catch {
  // Already installed in this process by an earlier test file.
}
