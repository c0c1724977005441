/**
 * Aviary's event log: durable, structured application events.
 *
 * It extends Scribe's service, so one port answers Scribe's `Log` (and fb303)
 * and the structured methods below, over Thrift and REST alike.
 */
include "scribe.thrift"

namespace py eventlog
namespace java aviary.eventlog

/** One application event. Labels (service, host, level, category and `labels`) are indexed. */
struct Event {
  /** Milliseconds since the Unix epoch; 0 means "when the server stores it". */
  1: optional i64 timeMs = 0,
  /** The emitting service (label `service`; `service` is a Thrift keyword). */
  2: optional string serviceName = "",
  3: optional string host = "",
  /** debug, info, warning, error, critical (or any short word). */
  4: optional string level = "info",
  5: optional string category = "",
  6: required string message,
  7: optional map<string, string> labels,
  8: optional string traceId = "",
}

/** A batch of events; `batchId` makes a retry idempotent within the dedup window. */
struct Batch {
  /** Client-chosen id (e.g. a UUID); a repeated id is acknowledged again and stored once. */
  1: optional string batchId = "",
  2: required list<Event> events,
}

/** The answer to `append`: stored durably (or already stored, for a repeated batch id). */
struct Ack {
  1: string batchId,
  /** Events stored by this call (0 for a duplicate). */
  2: i32 stored,
  3: bool duplicate,
  /** The sequence number of the batch's first event. */
  4: i64 firstSeq,
}

/** A stored event with its sequence number (unique, increasing in storage order). */
struct Stored {
  1: i64 seq,
  2: Event event,
}

/** One page of results; pass `cursor` back to get the next page ("" = no more). */
struct Page {
  1: list<Stored> events,
  2: string cursor,
}

/** The batch or query fits the IDL but is refused (a bad category, label or query, too
 * large); `field` says where, `reason` what to change. HTTP 422: a 400 is a request that
 * does not fit the IDL, so the two never mix in the REST contract. */
exception Invalid {
  1: string field,
  2: string reason,
} (http.status = "422")

/** The log cannot take the batch now (queue full, disk full); nothing was stored. */
exception TryLater {
  1: string reason,
  2: i32 retryAfterMs,
} (http.status = "503")

/** Structured events: append, query, tail. */
service EventLog extends scribe.scribe {
  /** Store a batch durably (per the fsync policy) before answering. */
  Ack append(1: Batch batch) throws (1: Invalid invalid, 2: TryLater tryLater)
      (http.method = "POST", http.path = "/events"),

  /**
   * Find events. `query` is a selector with optional line filters:
   * `{service="billing", level="error"} |= "timeout" != "retry" |~ "t.*out"`, and
   * `| json | status="500"` to filter on the fields of JSON messages.
   * Times are milliseconds since the epoch, start inclusive, end exclusive (0 = unbounded);
   * results are in storage order; `direction` is
   * "backward" (newest first, the default) or "forward".
   */
  Page query(1: string query, 2: i64 startMs = 0, 3: i64 endMs = 0, 4: i32 limit = 100,
             5: string direction = "backward", 6: string cursor = "")
      throws (1: Invalid invalid)
      (http.method = "GET", http.path = "/events"),

  /** Events stored after `afterSeq` that match `query`, oldest first (a poll-style tail). */
  list<Stored> tail(1: string query, 2: i64 afterSeq = 0, 3: i32 limit = 100)
      throws (1: Invalid invalid)
      (http.method = "GET", http.path = "/events/tail"),
}
