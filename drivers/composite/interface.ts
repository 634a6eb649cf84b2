import { defineInterface } from "@jumpstarter/lib/driver";

/** A grouping node: no methods of its own, children carry the work. */
export const compositeInterface = defineInterface({
  client: "jumpstarter_driver_composite.client.CompositeClient",
  description: "Generic composite device",
  methods: {},
});
