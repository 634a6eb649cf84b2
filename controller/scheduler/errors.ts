/** Errors from the scheduler, with a code the gRPC layer maps to a status. */

export type SchedulerErrorCode =
  | "InvalidArgument"
  | "NotFound"
  | "AlreadyExists"
  | "FailedPrecondition"
  | "PermissionDenied";

export class SchedulerError extends Error {
  readonly code: SchedulerErrorCode;
  constructor(code: SchedulerErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SchedulerError";
    this.code = code;
  }
}
