#@namespace scala inheritance
namespace java inheritance.thriftjava
#@namespace typescript inheritance.thriftts

include "lowercase.thrift"

service BetterService extends lowercase.iamlowercase {
  string getString()
}
