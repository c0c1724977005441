namespace java com.twitter.test
#@namespace scala com.twitter.test

include "included.thrift"
