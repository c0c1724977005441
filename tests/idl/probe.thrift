/** A service for tests: it misbehaves on request. */
namespace java aviary.probe

include "shared.thrift"

/** A tree, to prove recursive structs work. */
struct Node {
  1: required string name,
  2: optional list<Node> children,
}

struct Point { 1: i32 x, 2: i32 y }

union Shape { 1: Point point, 2: double radius }

exception Oops { 1: string why } (http.status = "409")

/** Has no http.status: travels as 400. */
exception Plain { 1: string why }

service Probe {
  /** Sleeps `ms` milliseconds on the event loop, then returns `ms`. */
  i32 slow(1: i32 ms),
  /** Sleeps `ms` milliseconds on a worker thread (a plain def handler). */
  i32 blocking(1: i32 ms),
  /** Waits on the event loop until `release(gate)`, then returns `gate`. */
  string hold(1: string gate),
  /** Waits on a worker thread until `release(gate)`, then returns `gate`. */
  string holdBlocking(1: string gate),
  /** Opens a gate for every current and future holder. */
  void release(1: string gate),
  /** Raises: "declared" -> Oops, "plain" -> Plain, "value" -> ValueError, "type" -> TypeError. */
  void fail(1: string how) throws (1: Oops oops, 2: Plain plain),
  /** Returns something that does not fit the IDL, as told by `how`. */
  string badResult(1: string how),
  /** What the handler saw of the call context. */
  map<string, string> whoami(),
  /** Counts the nodes of a tree. */
  i32 count(1: Node tree),
  /** Struct keys must travel as key/value pairs over JSON. */
  map<Point, string> label(1: map<Point, string> points),
  Shape shape(1: Shape s),
  shared.Pair pair(1: shared.Pair p),
  /** All the small integer and float types at once. */
  list<double> numbers(1: byte b, 2: i16 s, 3: i32 i, 4: i64 l, 5: double d, 6: bool flag),
  /** Finagle-style annotated route with two path params and a query arg. */
  string join(1: string a, 2: i32 b, 3: list<i32> rest) (http.method = "GET", http.path = "/join/{a}/{b}"),
}
