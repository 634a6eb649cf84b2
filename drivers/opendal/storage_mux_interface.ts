import { z } from "zod";
import { defineInterface, unary } from "@jumpstarter/lib/driver";
import { resourceHandleSchema } from "@jumpstarter/lib/streams";

/** A lowercase or uppercase hex SHA-256 digest. */
export const sha256HexSchema = z.string().regex(
  /^[0-9a-fA-F]{64}$/,
  "expected a SHA-256 digest: 64 hexadecimal digits",
);

const storageMuxMethods = {
  host: unary([], { description: "Connect storage to host" }),
  dut: unary([], { description: "Connect storage to dut" }),
  off: unary([], { description: "Disconnect storage" }),
  // The second argument is our extension: an expected SHA-256 of the decoded image. Upstream
  // clients send only the handle.
  write: unary([resourceHandleSchema, sha256HexSchema.nullable().optional()], {
    description: "Write an image to the storage",
  }),
  read: unary([resourceHandleSchema], { description: "Read the storage contents" }),
} as const;

/** A storage multiplexer: connects a medium to the host or the DUT, and moves images. */
export const storageMuxInterface = defineInterface({
  client: "jumpstarter_driver_opendal.client.StorageMuxClient",
  description: "Storage multiplexer",
  methods: storageMuxMethods,
});

/** The same methods, for muxes whose client also offers `flash` and `dump`. */
export const storageMuxFlasherInterface = defineInterface({
  client: "jumpstarter_driver_opendal.client.StorageMuxFlasherClient",
  description: "Storage multiplexer with flasher helpers",
  methods: storageMuxMethods,
});
