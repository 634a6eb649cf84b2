/**
 * Test helpers: `serve(driver)` for in-process driver tests, and `jumpstarterTest()` for suites
 * that run inside `jmp shell` (through `JUMPSTARTER_HOST`) or against a local exporter config.
 *
 * @module
 */
export { serve, type Served, type ServedOptions } from "./serve.ts";
export {
  type ClientSource,
  connectForTest,
  jumpstarterTest,
  type JumpstarterTestOptions,
} from "./jumpstarter_test.ts";
export { eventually, type EventuallyOptions } from "./eventually.ts";
export { randomBytes, sha256Hex } from "./bytes.ts";
export { freePort, freeUdpPort } from "./ports.ts";
export {
  DeadlineError,
  deadlineSignal,
  DEFAULT_TEST_DEADLINE_MS,
  fileDeadline,
  installTestDeadlines,
  type TestFn,
  waitingFor,
  withDeadline,
} from "./deadline.ts";
