import assert from "node:assert/strict";
import {
  Code,
  ConnectionError,
  DriverError,
  errorToStatus,
  ExporterNotReadyError,
  InvalidArgumentError,
  isConnectionLoss,
  JumpstarterError,
  MethodNotFoundError,
  MethodNotImplementedError,
  statusToError,
} from "./errors.ts";

Deno.test("errorToStatus() maps driver errors like upstream", () => {
  assert.deepEqual(errorToStatus(new MethodNotImplementedError("nope")), {
    code: Code.UNIMPLEMENTED,
    details: "nope",
  });
  assert.equal(errorToStatus(new TypeError("bad")).code, Code.INVALID_ARGUMENT);
  assert.equal(errorToStatus(new RangeError("bad")).code, Code.INVALID_ARGUMENT);
  assert.equal(errorToStatus(new Deno.errors.TimedOut("slow")).code, Code.DEADLINE_EXCEEDED);
  assert.equal(
    errorToStatus(new DOMException("slow", "TimeoutError")).code,
    Code.DEADLINE_EXCEEDED,
  );
  assert.equal(errorToStatus(new Deno.errors.ConnectionRefused("x")).code, Code.UNAVAILABLE);
  assert.equal(errorToStatus(new Deno.errors.PermissionDenied("x")).code, Code.INTERNAL);
  assert.deepEqual(errorToStatus(new Error("boom")), { code: Code.UNKNOWN, details: "boom" });
  assert.deepEqual(errorToStatus("text"), { code: Code.UNKNOWN, details: "text" });
});

Deno.test("statusToError() turns status errors into typed errors with the details as message", () => {
  const status = (code: Code, details: string) =>
    Object.assign(new Error(`${code} ${details}`), { code, details });
  const cases: [Code, new (...args: never[]) => JumpstarterError][] = [
    [Code.NOT_FOUND, MethodNotFoundError],
    [Code.UNIMPLEMENTED, MethodNotImplementedError],
    [Code.INVALID_ARGUMENT, InvalidArgumentError],
    [Code.FAILED_PRECONDITION, ExporterNotReadyError],
    [Code.UNAVAILABLE, ConnectionError],
    [Code.UNKNOWN, DriverError],
    [Code.INTERNAL, DriverError],
  ];
  for (const [code, kind] of cases) {
    const error = statusToError(status(code, "why"));
    assert.ok(error instanceof kind, `code ${code}`);
    assert.equal((error as JumpstarterError).message, "why");
    assert.equal((error as JumpstarterError).code, code);
  }
});

Deno.test("statusToError() leaves other errors alone", () => {
  const plain = new Error("plain");
  assert.equal(statusToError(plain), plain);
  assert.equal(statusToError("x"), "x");
});

Deno.test("isConnectionLoss() tells a lost or unreachable server from a refusal", () => {
  const status = (code: number, details: string) =>
    Object.assign(new Error(`${code} ${Code[code]}: ${details}`), { code, details });
  const lost = [
    new ConnectionError("no connection established"),
    status(Code.UNAVAILABLE, "Connection dropped"),
    status(Code.DEADLINE_EXCEEDED, "Deadline exceeded"),
    // what grpc-js on Deno reports for a call whose server was killed under it
    statusToError(status(
      Code.INTERNAL,
      "Received RST_STREAM with code 2 triggered by internal client error: write EPIPE",
    )),
  ];
  for (const error of lost) assert.equal(isConnectionLoss(error), true, String(error));
  const refused = [
    new JumpstarterError("permission denied"),
    statusToError(status(Code.FAILED_PRECONDITION, "exporter is offline")),
    status(Code.INTERNAL, "Received RST_STREAM with code 2 (Internal server error)"),
    new Error("plain"),
    "text",
  ];
  for (const error of refused) assert.equal(isConnectionLoss(error), false, String(error));
});
