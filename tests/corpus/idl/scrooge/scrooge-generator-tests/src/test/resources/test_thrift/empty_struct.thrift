#@namespace android test.thrift.android

struct FollowerTargetingDetails {
}
