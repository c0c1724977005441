namespace java com.twitter.thrift
#@namespace android com.twitter.thrift

enum test {
  foo = 1,
  bar = 2,
}
