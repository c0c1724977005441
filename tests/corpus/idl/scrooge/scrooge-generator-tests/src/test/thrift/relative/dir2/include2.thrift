// include2.thrift
// this file is imported to candy.thrift by command line
#@namespace android thrift.android.test1
namespace java thrift.test1

const string BRAND = "Hershey"
