#@namespace scala inheritance
namespace java inheritance.thriftjava
#@namespace typescript inheritance.thriftts

service iamlowercase {
  i32 getInt()
}
