namespace java scrooge.test.thriftjava
#@namespace android scrooge.test.thriftandroid
#@namespace scala scrooge.test.thriftscala

struct Thingymabob {
}
