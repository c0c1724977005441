/**
 * The example service: it echoes messages back and keeps a small store of
 * them, so that every kind of Thrift type travels over both transports.
 */
namespace py echo
namespace java aviary.echo

/** How loudly a message should be repeated. */
enum Volume {
  QUIET = 0,
  NORMAL = 1,
  LOUD = 2,
}

/** A message to echo or to store. */
struct Message {
  /** The text itself; the only field a message must have. */
  1: required string text,
  /** How loudly to repeat it. */
  2: optional Volume volume = Volume.NORMAL,
  /** Free-form tags, in order. */
  3: optional list<string> tags,
  /** Numbers the sender considers lucky. */
  4: optional set<i32> lucky,
  /** Named counters; i64 values travel exactly, also over JSON. */
  5: optional map<string, i64> counters,
  /** Opaque bytes; base64 over JSON. */
  6: optional binary payload,
  /** Set by the store; 0 for a message that was never stored. */
  7: optional i64 id,
}

/** A stored message and when it was stored. */
struct Stored {
  1: required i64 id,
  2: required Message message,
  /** Milliseconds since the Unix epoch. */
  3: required i64 storedAtMs,
}

/** No stored message has the given id. */
exception NotFound {
  1: i64 id,
  2: string reason,
} (http.status = "404")

/** The message was refused; `field` names what is wrong with it. */
exception Rejected {
  1: string field,
  2: string reason,
} (http.status = "422")

/** Echo messages, and keep the ones worth keeping. */
service Echo {
  /** Returns the message it was given, unchanged. */
  Message echo(1: Message message),

  /** Repeats `text` `times` times, separated by spaces. */
  string repeat(1: string text, 2: i32 times = 2) throws (1: Rejected rejected),

  /** Stores a message and returns its id. */
  Stored put(1: Message message) throws (1: Rejected rejected)
      (http.method = "POST", http.path = "/messages"),

  /** Fetches a stored message by id. */
  Stored get(1: i64 id) throws (1: NotFound notFound)
      (http.method = "GET", http.path = "/messages/{id}"),

  /** Lists stored messages carrying a tag, newest first. */
  list<Stored> find(1: string tag, 2: i32 limit = 10)
      (http.method = "GET", http.path = "/messages"),

  /** Deletes a stored message. */
  void remove(1: i64 id) throws (1: NotFound notFound)
      (http.method = "DELETE", http.path = "/messages/{id}"),

  /** Counts a message without answering: fire and forget. */
  oneway void note(1: string text),

  /** How many notes have arrived so far. */
  i64 notes(),
}
