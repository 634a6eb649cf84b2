import { defineInterface, streaming, unary } from "@jumpstarter/lib/driver";

/**
 * SNMP outlet switch. Upstream's SNMPServer exports only `on` and `off` (each returns a status
 * string); `read` is our addition: one item with the outlet's state as the agent reports it.
 */
export const snmpInterface = defineInterface({
  client: "jumpstarter_driver_snmp.client.SNMPServerClient",
  description: "SNMP PDU outlet power control",
  methods: {
    on: unary([], { description: "Power on" }),
    off: unary([], { description: "Power off" }),
    read: streaming([], { description: "Read the outlet state (yields one item)" }),
  },
});
