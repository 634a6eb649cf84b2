import { z } from "zod";
import { defineInterface, unary } from "@jumpstarter/lib/driver";

/**
 * The HTTP file server: upstream's start/stop/get_url/get_host/get_port, plus file management
 * done by the driver itself (upstream does it through an OpenDAL `storage` child).
 */
export const httpServerInterface = defineInterface({
  client: "jumpstarter_driver_http.client.HttpServerClient",
  description: "HTTP file server",
  methods: {
    start: unary([], { description: "Start the HTTP server" }),
    stop: unary([], { description: "Stop the HTTP server" }),
    "get_url": unary([], { description: "Base URL of the HTTP server" }),
    "get_host": unary([], { description: "Host the HTTP server listens on" }),
    "get_port": unary([], { description: "Port the HTTP server listens on" }),
    "put_file": unary([z.string(), z.unknown()], {
      description: "Store an uploaded file under the served root",
    }),
    "delete_file": unary([z.string()], { description: "Delete a file from the served root" }),
    "list_files": unary([], { description: "List the files under the served root" }),
  },
});

/** What `put_file` answers. */
export const putResultSchema = z.object({
  name: z.string(),
  size: z.number().int().nonnegative(),
  url: z.string(),
});

export type PutResult = z.infer<typeof putResultSchema>;
