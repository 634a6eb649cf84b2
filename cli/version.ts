/** The version of this Jumpstarter implementation. */
export const VERSION = "0.1.0";
