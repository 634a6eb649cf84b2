/**
 * A connection to a controller (`ClientService`, `ControllerService`) with the caller's bearer
 * token and `jumpstarter-*` metadata on every call: shared by clients (leases) and exporters
 * (registration, status, listen), so neither side imports the other.
 *
 * @module
 */
export {
  clientIdentity,
  type ClientServiceClient,
  connectController,
  controllerCall,
  controllerChannel,
  type ControllerConnection,
  type ControllerIdentity,
  type ControllerServiceClient,
} from "./connection.ts";
