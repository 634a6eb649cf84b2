/**
 * Composite lives in the framework (every tree's root needs it); this package re-exports it for
 * symmetry with other drivers. Proxies (`ref:`) are resolved by the tree builder.
 */
export { Composite, compositeType } from "@jumpstarter/lib/driver";
