/**
 * Driver logging: records go to whatever sink the hosting session installs (the exporter's
 * LogStream), never to the console from library code.
 */

/** Upstream's Python level names, as sent in `LogStreamResponse.severity`. */
export type Severity = "DEBUG" | "INFO" | "WARNING" | "ERROR" | "CRITICAL";

/** One log record. */
export interface LogRecord {
  /** The record's level. */
  severity: Severity;
  /** The text, as written by the driver. */
  message: string;
  /** Logger name, e.g. `driver.MockPower`. */
  source: string;
  /** When the record was made. */
  timestamp: Date;
}

/** Receives log records. */
export type LogSink = (record: LogRecord) => void;

const SEVERITY_RANK: Readonly<Record<Severity, number>> = {
  DEBUG: 10,
  INFO: 20,
  WARNING: 30,
  ERROR: 40,
  CRITICAL: 50,
};

/** A named logger writing to a replaceable sink. */
export class Logger {
  /** Logger name, sent as each record's `source` (drivers use `driver.<ClassName>`). */
  readonly name: string;
  /** Records below this severity are dropped (upstream's per-driver `log_level`). */
  level: Severity = "DEBUG";
  #sink: LogSink;

  /** A logger called `name`; records are dropped until a sink is given or set. */
  constructor(name: string, sink: LogSink = () => {}) {
    this.name = name;
    this.#sink = sink;
  }

  /** Replaces where records go. */
  setSink(sink: LogSink): void {
    this.#sink = sink;
  }

  /** Writes a record at `severity`, unless that is below {@linkcode Logger.level}. */
  log(severity: Severity, message: string): void {
    if (SEVERITY_RANK[severity] < SEVERITY_RANK[this.level]) return;
    this.#sink({ severity, message, source: this.name, timestamp: new Date() });
  }

  /** Logs at DEBUG. */
  debug(message: string): void {
    this.log("DEBUG", message);
  }

  /** Logs at INFO. */
  info(message: string): void {
    this.log("INFO", message);
  }

  /** Logs at WARNING. */
  warning(message: string): void {
    this.log("WARNING", message);
  }

  /** Logs at ERROR. */
  error(message: string): void {
    this.log("ERROR", message);
  }
}
