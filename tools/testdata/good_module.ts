/** Nothing here breaks in a compiled binary. */
export const GREETING = "hello";
