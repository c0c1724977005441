/**
 * fb303: the status and counter methods every Scribe server answers, so Scribe
 * clients and their monitoring probes talk to Aviary's event log unchanged.
 */
namespace py fb303
namespace java aviary.fb303

/** Service status, as fb303 numbers it. */
enum fb_status {
  DEAD = 0,
  STARTING = 1,
  ALIVE = 2,
  STOPPING = 3,
  STOPPED = 4,
  WARNING = 5,
}

/** Status and counters of a long-running server. */
service FacebookService {
  /** The service's name. */
  string getName(),
  /** The service's version. */
  string getVersion(),
  /** Whether the service is alive. */
  fb_status getStatus(),
  /** A human-readable explanation of the status. */
  string getStatusDetails(),
  /** Every counter (Aviary's metrics under this service's scope). */
  map<string, i64> getCounters(),
  /** Only the named counters. */
  map<string, i64> getSelectedCounters(1: list<string> keys),
  /** One counter's value (0 when unknown). */
  i64 getCounter(1: string key),
  /** Every exported value, as text. */
  map<string, string> getExportedValues(),
  /** Only the named exported values. */
  map<string, string> getSelectedExportedValues(1: list<string> keys),
  /** One exported value. */
  string getExportedValue(1: string key),
  /** Set an option (kept in memory only). */
  void setOption(1: string key, 2: string value),
  /** One option's value. */
  string getOption(1: string key),
  /** Every option. */
  map<string, string> getOptions(),
  /** When the server started, in seconds since the Unix epoch. */
  i64 aliveSince(),
  /** Accepted and ignored: Aviary reloads nothing at runtime. */
  oneway void reinitialize(),
  /** Accepted and ignored: stop the process with a signal. */
  oneway void shutdown(),
}
