import { z } from "zod";
import { defineInterface, unary } from "@jumpstarter/lib/driver";

const filename = z.string().min(1, "file name must not be empty");

/**
 * The TFTP server's methods: upstream v0.7.0's start/stop/get_host/get_port, plus the file
 * methods of earlier upstream releases (put_file/delete_file/list_files), which v0.7.0 moved to
 * an OpenDAL `storage` child.
 */
export const tftpInterface = defineInterface({
  client: "jumpstarter_driver_tftp.client.TftpServerClient",
  description: "TFTP server",
  methods: {
    start: unary([], { description: "Start the TFTP server" }),
    stop: unary([], { description: "Stop the TFTP server" }),
    "get_host": unary([], { description: "Address the server is bound to" }),
    "get_port": unary([], { description: "Port the server listens on" }),
    "list_files": unary([], { description: "List the files in the TFTP root" }),
    "put_file": unary([filename, z.unknown()], {
      description: "Store uploaded bytes as a file in the TFTP root",
    }),
    "delete_file": unary([filename], { description: "Delete a file from the TFTP root" }),
  },
});
