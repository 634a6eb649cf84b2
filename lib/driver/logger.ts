/**
 * Driver logging: records go to whatever sink the hosting session installs (the exporter's
 * LogStream), never to the console from library code.
 */

/** Upstream's Python level names, as sent in `LogStreamResponse.severity`. */
export type Severity = "DEBUG" | "INFO" | "WARNING" | "ERROR" | "CRITICAL";

/** One log record. */
export interface LogRecord {
  severity: Severity;
  message: string;
  /** Logger name, e.g. `driver.MockPower`. */
  source: string;
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
  readonly name: string;
  /** Records below this severity are dropped (upstream's per-driver `log_level`). */
  level: Severity = "DEBUG";
  #sink: LogSink;

  constructor(name: string, sink: LogSink = () => {}) {
    this.name = name;
    this.#sink = sink;
  }

  /** Replaces where records go. */
  setSink(sink: LogSink): void {
    this.#sink = sink;
  }

  log(severity: Severity, message: string): void {
    if (SEVERITY_RANK[severity] < SEVERITY_RANK[this.level]) return;
    this.#sink({ severity, message, source: this.name, timestamp: new Date() });
  }

  debug(message: string): void {
    this.log("DEBUG", message);
  }

  info(message: string): void {
    this.log("INFO", message);
  }

  warning(message: string): void {
    this.log("WARNING", message);
  }

  error(message: string): void {
    this.log("ERROR", message);
  }
}
