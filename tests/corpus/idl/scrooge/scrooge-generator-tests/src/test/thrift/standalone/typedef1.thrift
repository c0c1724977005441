namespace java thrift.test1

struct OneInt {
  1: i32 id
}

typedef list<OneInt> ManyInts
