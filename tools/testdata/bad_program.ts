/** A program whose module breaks in a compiled binary (for compile_check_test.ts). */
import { load } from "./bad_module.ts";

if (import.meta.main) console.log(await load("x"));
