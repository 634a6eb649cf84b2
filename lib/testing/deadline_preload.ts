/**
 * Preloaded by `deno task test` (`--preload`) before every test module: gives every `Deno.test`
 * a deadline (see `deadline.ts`).
 *
 * @module
 */
import { installTestDeadlines } from "./deadline.ts";

installTestDeadlines();
