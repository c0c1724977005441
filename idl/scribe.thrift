/**
 * Scribe's wire contract, exactly: `Log` takes a batch of entries and answers
 * OK (stored durably, in Aviary) or TRY_LATER (retry after a pause).
 */
include "fb303.thrift"

namespace py scribe
namespace java aviary.scribe

/** OK: the whole batch is stored. TRY_LATER: none of it is; send it again later. */
enum ResultCode {
  OK = 0,
  TRY_LATER = 1,
}

/** One log line and the category it belongs to. */
struct LogEntry {
  1: string category,
  2: string message,
}

/** A Scribe server. */
service scribe extends fb303.FacebookService {
  /** Store a batch of entries, all or none. */
  ResultCode Log(1: list<LogEntry> messages),
}
