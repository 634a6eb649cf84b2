/**
 * Network connections are plain driver byte streams; the opener lives in the framework.
 */
export {
  type DriverStream as NetworkStream,
  openDriverStream as openNetworkStream,
} from "@jumpstarter/lib/client";
