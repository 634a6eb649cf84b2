/**
 * Test helpers: `serve(driver)` for in-process driver tests.
 *
 * @module
 */
export { serve, type Served, type ServedOptions } from "./serve.ts";
