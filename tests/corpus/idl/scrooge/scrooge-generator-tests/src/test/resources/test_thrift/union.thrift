#@namespace android thrift.test.android

union TestUnion {
  1: i32 an_int
  2: string a_string
  3: set<string> a_set
}
