/**
 * gRPC metadata and lease-context keys both ends of a call must spell the same way: defined once
 * here for clients, exporters and the controller.
 */

/** Direct mode: the passphrase a client presents to an exporter on every call. */
export const PASSPHRASE_METADATA_KEY = "x-jumpstarter-passphrase";

/** The caller's kind (`Client` or `Exporter`), sent to the controller with its token. */
export const KIND_METADATA_KEY = "jumpstarter-kind";
/** The caller's namespace, sent to the controller with its token. */
export const NAMESPACE_METADATA_KEY = "jumpstarter-namespace";
/** The caller's name, sent to the controller with its token. */
export const NAME_METADATA_KEY = "jumpstarter-name";
/** Which process of an exporter is calling (a restarted exporter sends a new one). */
export const INSTANCE_METADATA_KEY = "jumpstarter-instance";
/** How long, in seconds, a client waits for its lease (the controller keeps it queued). */
export const WAITER_METADATA_KEY = "jumpstarter-lease-waiter";

/** Lease context key our controller fills for a waiting lease: its place in the queue. */
export const QUEUE_POSITION_KEY = "jumpstarter.dev/queue-position";
/** Lease context key of a waiting lease's estimated wait, in whole seconds. */
export const ESTIMATED_WAIT_KEY = "jumpstarter.dev/estimated-wait-seconds";
