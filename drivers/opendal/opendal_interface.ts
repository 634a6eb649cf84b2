import { z } from "zod";
import { defineInterface, streaming, unary } from "@jumpstarter/lib/driver";
import { resourceHandleSchema } from "@jumpstarter/lib/streams";
import { hashAlgoSchema, modeSchema } from "./opendal_types.ts";

const path = z.string({ error: "path must be a string" });
/** An open file, as `open` returned it (upstream's UUID, sent as its string). */
const fd = z.uuid({ error: "fd must be the UUID that open returned" });
const expireSecond = z.number().int("expire_second must be a whole number of seconds");

/** Upstream's `Opendal` driver: storage operations, plus file handles opened by `open`. */
export const opendalInterface = defineInterface({
  client: "jumpstarter_driver_opendal.client.OpendalClient",
  description: "Opendal Storage",
  methods: {
    open: unary([path, modeSchema], { description: "Open a file (rb or wb); returns its fd" }),
    "file_read": unary([fd, resourceHandleSchema], {
      description: "Send the rest of an open file into a resource",
    }),
    "file_write": unary([fd, resourceHandleSchema], {
      description: "Write everything a resource sends into an open file",
    }),
    "file_seek": unary([fd, z.number().int(), z.number().int().min(0).max(2).default(0)], {
      description: "Move an open file's cursor (whence 0: start, 1: current, 2: end)",
    }),
    "file_tell": unary([fd], { description: "The cursor position of an open file" }),
    "file_close": unary([fd], { description: "Close an open file" }),
    "file_closed": unary([fd], { description: "Whether a file is closed" }),
    "file_readable": unary([fd], { description: "Whether a file can be read" }),
    "file_seekable": unary([fd], { description: "Whether a file can seek" }),
    "file_writable": unary([fd], { description: "Whether a file can be written" }),
    stat: unary([path], { description: "Metadata of a path" }),
    hash: unary([path, hashAlgoSchema.default("sha256")], {
      description: "Hash of a file's content (md5 or sha256)",
    }),
    copy: unary([path, path], { description: "Copy source to target" }),
    rename: unary([path, path], { description: "Rename source to target" }),
    "remove_all": unary([path], { description: "Remove a path and everything under it" }),
    "create_dir": unary([path], { description: "Create a directory (trailing /), recursively" }),
    delete: unary([path], { description: "Delete a path (a missing path is not an error)" }),
    exists: unary([path], { description: "Whether a path exists" }),
    list: streaming([path], { description: "List the entries of a directory" }),
    scan: streaming([path], { description: "List the entries under a directory, recursively" }),
    "presign_stat": unary([path, expireSecond], { description: "Presign a stat (HEAD)" }),
    "presign_read": unary([path, expireSecond], { description: "Presign a read (GET)" }),
    "presign_write": unary([path, expireSecond], { description: "Presign a write (PUT)" }),
    capability: unary([], { description: "What the storage service supports" }),
    "get_created_resources": unary([], {
      description: "Paths created during this session",
    }),
    "register_path": unary([path], { description: "Register a path for cleanup on close" }),
  },
});

/** Upstream's `FlasherInterface`: flash an image into a partition (target), or dump one. */
export const flasherInterface = defineInterface({
  client: "jumpstarter_driver_opendal.client.FlasherClient",
  description: "Generic flasher interface",
  methods: {
    flash: unary([resourceHandleSchema, z.string().nullable().optional()], {
      description: "Flash image to DUT",
    }),
    dump: unary([resourceHandleSchema, z.string().nullable().optional()], {
      description: "Dump image from DUT",
    }),
  },
});
