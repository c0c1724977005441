// include3.thrift
// This file is used to generate include3.jar to be imported to candy.thrift,
// not to be referred to by file path.
#@namespace android thrift.android.test1
namespace java thrift.test1

const i32 PIECES = 10
