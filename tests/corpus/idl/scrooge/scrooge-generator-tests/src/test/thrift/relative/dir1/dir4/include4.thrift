// include4.thrift
// to be imported to include1.thrift, via its "carried-over" import paths.
#@namespace android thrift.android.test1
namespace java thrift.test1

const string line1 = "Life is a box of chocolates"
const string line2 = "Life is short, eat dessert first"
