// The capitalized namespace, while unconventional, is permitted; this won't compile unless case is
// preserved.
namespace java thrift.test1
#@namespace android androidthrift.test1

struct Location {
  1: double latitude
  2: double longitude
}
