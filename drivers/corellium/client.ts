import { CompositeClient } from "@jumpstarter/lib/client";

/** Upstream's `CorelliumClient`: a composite of `power` and `serial`. */
export class CorelliumClient extends CompositeClient {}
