/**
 * Network connections are plain driver byte streams, opened by `DriverClient.stream`.
 */
export type { DriverStream as NetworkStream } from "@jumpstarter/lib/client";
