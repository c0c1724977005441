include "common/a.thrift"
include "common/b.thrift"

typedef a.A A
typedef b.B B
